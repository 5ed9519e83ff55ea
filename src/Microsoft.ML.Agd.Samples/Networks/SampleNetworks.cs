using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Samples.Networks;

/// <summary>The networks of the samples that the command line names with --network, as trainer factories.</summary>
internal static class SampleNetworks
{
    /// <summary>The factory of a named network, sized by a base width.</summary>
    /// <exception cref="ArgumentOutOfRangeException">No sample network has that name.</exception>
    public static Func<AgdImageShape, int, nn.Module<Tensor, Tensor>> Factory(string name, int baseWidth) => name.ToLowerInvariant() switch
    {
        "vgg16" => (shape, classes) =>
        {
            // Counted before it is built: a width too large for memory is named, not left to libtorch's allocator.
            TrainingMemory.CheckParameters(Vgg.ParameterCount(shape, classes, baseWidth), $"VGG-16 of base width {baseWidth}", "--base-width");
            return Vgg.Create(shape, classes, baseWidth);
        },
        _ => throw Unknown(name),
    };

    /// <summary>
    /// A named network as generated code needs it: its source file (name and text, from the program's resources) and the C#
    /// expression of its factory, in <c>shape</c> and <c>classes</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">No sample network has that name.</exception>
    public static (string File, string Source, string Factory) Code(string name, int baseWidth) => name.ToLowerInvariant() switch
    {
        "vgg16" => ("Vgg.cs", Source("Networks/Vgg.cs"), $"Vgg.Create(shape, classes, {baseWidth})"),
        _ => throw Unknown(name),
    };

    private static string Source(string resource)
    {
        using var stream = typeof(SampleNetworks).Assembly.GetManifestResourceStream(resource)!;
        return new StreamReader(stream).ReadToEnd();
    }

    private static ArgumentOutOfRangeException Unknown(string name) => new("--network", name, "The samples' networks are: vgg16.");
}

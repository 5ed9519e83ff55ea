namespace Microsoft.ML.Agd.Native;

/// <summary>
/// What the known-answer self-test of libtorch's float32 convolution gradients found in this process, and the remedy in
/// force. Some libtorch 2.10 builds compute wrong or NaN input gradients on AVX-512 CPUs when a channel count is not a
/// multiple of 16 (oneDNN's blocked layout); the test finds out on the machine itself rather than from a list of CPUs.
/// </summary>
/// <param name="Cases">Each shape tested, with its error.</param>
/// <param name="Remedy">The remedy every network trained by this library gets.</param>
/// <param name="Forced">Whether the remedy was set by the environment variable <see cref="TorchNative.RemedyVariable"/> rather than chosen by the test.</param>
public sealed record ConvolutionCheck(IReadOnlyList<ConvolutionCheckCase> Cases, ConvolutionRemedy Remedy, bool Forced)
{
    /// <summary>One line for a log: what ran, what failed, and the remedy.</summary>
    public override string ToString()
    {
        var failed = Cases.Where(c => !c.Passed).Select(c => $"{c.InputChannels}->{c.OutputChannels}").ToList();
        string found = failed.Count == 0
            ? $"float32 convolution gradients passed the self-test ({Cases.Count} shapes)"
            : $"float32 convolution gradients were wrong for {string.Join(", ", failed)} channels ({failed.Count} of {Cases.Count} shapes)";
        string remedy = Remedy switch
        {
            ConvolutionRemedy.None => "no remedy needed",
            ConvolutionRemedy.NarrowConvolutionsWithoutOneDnn => "remedy: convolutions whose channel counts are not multiples of 16 train without oneDNN",
            ConvolutionRemedy.NarrowInputGradientsAsConvolutions => "remedy: convolutions whose channel counts are not multiples of 16 compute their input gradients as forward convolutions",
            ConvolutionRemedy.NarrowConvolutionsPadded => "remedy: convolutions whose channel counts are not multiples of 16 train with their channels padded to 16",
            _ => "remedy: every convolution trains without oneDNN",
        };
        return $"{found}; {remedy}{(Forced ? $" (set by {TorchNative.RemedyVariable})" : "")}.";
    }
}

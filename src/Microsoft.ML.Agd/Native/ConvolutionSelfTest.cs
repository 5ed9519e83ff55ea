using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Native;

/// <summary>
/// The known-answer test behind <see cref="TorchNative.ConvolutionCheck"/>: the input gradient of sum(conv(x, w)^2) for a
/// few small 3x3 convolutions, float32 (what training uses) against float64 (which libtorch computes without oneDNN).
/// </summary>
internal static class ConvolutionSelfTest
{
    // Any fixed seed: the same inputs on every machine, so that two machines' results compare.
    private const ulong InputSeed = 20230508;

    /// <summary>Channel counts that are, and are not, multiples of oneDNN's block of 16.</summary>
    private static readonly (int In, int Out)[] s_shapes = [(4, 4), (8, 8), (12, 12), (24, 24), (16, 16), (16, 32)];

    /// <summary>Runs the test with libtorch's own float32 kernels, on one thread, where the wrong kernels fail every time.</summary>
    public static IReadOnlyList<ConvolutionCheckCase> Run() => Run(InputGradient);

    /// <summary>Runs the test with a given float32 gradient computation (tests pass deliberately wrong ones).</summary>
    public static IReadOnlyList<ConvolutionCheckCase> Run(Func<Tensor, Tensor, Tensor> float32InputGradient)
    {
        int threads = get_num_threads();
        set_num_threads(1);
        try
        {
            using var generator = new Generator(InputSeed);
            return s_shapes.Select(s => Case(s.In, s.Out, generator, float32InputGradient)).ToList();
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    /// <summary>
    /// The remedy for what the test found: none; for narrow convolutions only, the first of <paramref name="alternatives"/>
    /// (a remedy with the test run on its form) whose form passes, else their backward passes without oneDNN; or every
    /// convolution without oneDNN.
    /// </summary>
    public static ConvolutionRemedy Decide(IReadOnlyList<ConvolutionCheckCase> cases, params (ConvolutionRemedy Remedy, Func<IReadOnlyList<ConvolutionCheckCase>> Test)[] alternatives)
    {
        var failed = cases.Where(c => !c.Passed).ToList();
        if (failed.Count == 0)
            return ConvolutionRemedy.None;
        if (failed.Any(c => c.IsBlockAligned))
            return ConvolutionRemedy.AllConvolutionsWithoutOneDnn;
        return alternatives.Where(a => a.Test().All(c => c.Passed)).Select(a => a.Remedy).DefaultIfEmpty(ConvolutionRemedy.NarrowConvolutionsWithoutOneDnn).First();
    }

    /// <summary>The narrow convolutions' remedies that keep oneDNN, cheapest first, each with the test run on its form.</summary>
    public static (ConvolutionRemedy, Func<IReadOnlyList<ConvolutionCheckCase>>)[] Alternatives =>
    [
        (ConvolutionRemedy.NarrowInputGradientsAsConvolutions, () => Run(InputGradientAsConvolution)),
        (ConvolutionRemedy.NarrowConvolutionsPadded, () => Run(PaddedInputGradient)),
    ];

    /// <summary>The gradient of sum(conv2d(x, w, padding 1)^2) with respect to x, in the tensors' own precision.</summary>
    public static Tensor InputGradient(Tensor x, Tensor w) => InputGradient(x, w, (input, weight) => nn.functional.conv2d(input, weight, padding: [1, 1]));

    /// <summary>The same gradient with the convolution's channels padded to multiples of 16 (<see cref="ChannelPadding"/>).</summary>
    public static Tensor PaddedInputGradient(Tensor x, Tensor w) => InputGradient(x, w, (input, weight) => ChannelPadding.Conv2d(input, weight, null, [1, 1], [1, 1], [1, 1]));

    /// <summary>The same gradient computed as a forward convolution (<see cref="InputGradientByConvolution"/>).</summary>
    public static Tensor InputGradientAsConvolution(Tensor x, Tensor w) => InputGradient(x, w, (input, weight) => InputGradientByConvolution.Conv2d(input, weight, null, [1, 1], [1, 1], [1, 1]));

    private static Tensor InputGradient(Tensor x, Tensor w, Func<Tensor, Tensor, Tensor> convolution)
    {
        using var gradients = enable_grad();
        var input = x.detach().requires_grad_(true);
        convolution(input, w).square().sum().backward();
        return input.grad!.detach();
    }

    private static ConvolutionCheckCase Case(int inputs, int outputs, Generator generator, Func<Tensor, Tensor, Tensor> float32InputGradient)
    {
        using var scope = NewDisposeScope();
        var x = randn([16, inputs, 12, 12], dtype: float64, generator: generator);
        var w = randn([outputs, inputs, 3, 3], dtype: float64, generator: generator).div(3 * Math.Sqrt(inputs));
        var expected = InputGradient(x, w);
        var actual = float32InputGradient(x.to(float32), w.to(float32)).to(float64);
        double error = actual.sub(expected).norm().item<double>() / expected.norm().item<double>();
        return new ConvolutionCheckCase(inputs, outputs, double.IsNaN(error) ? double.PositiveInfinity : error);
    }
}

using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Native;

/// <summary>
/// The known-answer test behind <see cref="TorchNative.ConvolutionCheck"/>: the output, input gradient and weight
/// gradient of sum(conv(x, w)^2) for a few small convolutions, float32 (what training uses) against float64 (which
/// libtorch computes without oneDNN).
/// </summary>
internal static class ConvolutionSelfTest
{
    // Any fixed seed: the same inputs on every machine, so that two machines' results compare.
    private const ulong InputSeed = 20230508;

    /// <summary>
    /// Channel counts below, at and above oneDNN's block of 16, multiples of it and not, 3x3 and 1x1 kernels, strides 1
    /// and 2: each a kernel of its own on some CPU, and each wrong on one measured.
    /// </summary>
    private static readonly ConvolutionShape[] s_shapes =
    [
        new(4, 4, 3, 1), new(8, 8, 3, 1), new(12, 24, 3, 2), new(16, 4, 3, 1), new(24, 24, 3, 1),
        new(16, 16, 3, 1), new(16, 32, 3, 2), new(48, 96, 3, 2), new(32, 64, 1, 2),
    ];

    /// <summary>A float32 convolution: input, weight, stride and padding to output.</summary>
    public delegate Tensor Convolution(Tensor input, Tensor weight, long stride, long padding);

    /// <summary>Runs the test with libtorch's own float32 kernels, on one thread, where the wrong kernels fail every time.</summary>
    public static IReadOnlyList<ConvolutionCheckCase> Run() => Run(LibTorch);

    /// <summary>Runs the test with a given float32 convolution (tests pass deliberately wrong ones).</summary>
    public static IReadOnlyList<ConvolutionCheckCase> Run(Convolution single)
    {
        int threads = get_num_threads();
        set_num_threads(1);
        try
        {
            using var generator = new Generator(InputSeed);
            return s_shapes.Select(s => Case(s, generator, single)).ToList();
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    /// <summary>The remedy for what the test found: none where every case passed, else every convolution without oneDNN.</summary>
    public static ConvolutionRemedy Decide(IReadOnlyList<ConvolutionCheckCase> cases)
        => cases.All(c => c.Passed) ? ConvolutionRemedy.None : ConvolutionRemedy.AllConvolutionsWithoutOneDnn;

    /// <summary>libtorch's conv2d, in the tensors' own precision.</summary>
    public static Tensor LibTorch(Tensor input, Tensor weight, long stride, long padding)
        => nn.functional.conv2d(input, weight, null, [stride, stride], [padding, padding]);

    private static ConvolutionCheckCase Case(ConvolutionShape shape, Generator generator, Convolution single)
    {
        using var scope = NewDisposeScope();
        var x = randn([8, shape.InputChannels, 12, 12], dtype: float64, generator: generator);
        var w = randn([shape.OutputChannels, shape.InputChannels, shape.Kernel, shape.Kernel], dtype: float64, generator: generator)
            .div(shape.Kernel * Math.Sqrt(shape.InputChannels));
        var expected = Compute(LibTorch, x, w, shape);
        var actual = Compute(single, x.to(float32), w.to(float32), shape);
        double Error(int i) => RelativeError(actual[i], expected[i]);
        return new ConvolutionCheckCase(shape, Error(0), Error(1), Error(2));
    }

    // The output, and the gradients of sum(output^2) with respect to the input and the weight.
    private static Tensor[] Compute(Convolution convolution, Tensor x, Tensor w, ConvolutionShape shape)
    {
        using var gradients = enable_grad();
        var (input, weight) = (x.detach().requires_grad_(true), w.detach().requires_grad_(true));
        var output = convolution(input, weight, shape.Stride, shape.Kernel / 2);
        output.square().sum().backward();
        return [output.detach(), input.grad!.detach(), weight.grad!.detach()];
    }

    private static double RelativeError(Tensor actual, Tensor expected)
    {
        double error = actual.to(float64).sub(expected).norm().item<double>() / expected.norm().item<double>();
        return double.IsNaN(error) ? double.PositiveInfinity : error;
    }
}

namespace Microsoft.ML.Agd.Native;

/// <summary>
/// One convolution of the self-test: the relative error of its float32 output, input gradient and weight gradient
/// against float64 (infinite where float32 gave NaN or infinity).
/// </summary>
internal sealed record ConvolutionCheckCase(ConvolutionShape Shape, double OutputError, double InputGradientError, double WeightGradientError)
{
    /// <summary>The largest relative error that passes; a right float32 result is about 1e-6.</summary>
    public const double Tolerance = 1e-4;

    /// <summary>Whether all three agreed with float64.</summary>
    public bool Passed => Math.Max(OutputError, Math.Max(InputGradientError, WeightGradientError)) <= Tolerance;
}

/// <summary>A convolution's channels, square kernel and stride (padding keeps the size at stride 1).</summary>
internal sealed record ConvolutionShape(int InputChannels, int OutputChannels, int Kernel, int Stride)
{
    /// <summary>"4->4" or "48->96 3x3 stride 2".</summary>
    public override string ToString() => $"{InputChannels}->{OutputChannels}{(Kernel != 3 ? $" {Kernel}x{Kernel}" : "")}{(Stride != 1 ? $" stride {Stride}" : "")}";
}

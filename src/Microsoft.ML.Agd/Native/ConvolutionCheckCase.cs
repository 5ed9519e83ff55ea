namespace Microsoft.ML.Agd.Native;

/// <summary>One shape of the convolution self-test: a 3x3 convolution's input gradient in float32 against float64.</summary>
/// <param name="InputChannels">Channels the convolution reads.</param>
/// <param name="OutputChannels">Channels it writes.</param>
/// <param name="RelativeError">||g32 - g64|| / ||g64|| of the input gradient (NaN or infinity when float32 produced them).</param>
public sealed record ConvolutionCheckCase(int InputChannels, int OutputChannels, double RelativeError)
{
    /// <summary>The largest relative error that passes; a right float32 result is about 1e-6.</summary>
    public const double Tolerance = 1e-4;

    /// <summary>Whether float32 agreed with float64.</summary>
    public bool Passed => RelativeError <= Tolerance;

    /// <summary>Whether both channel counts are multiples of 16, the block size of oneDNN's AVX-512 kernels.</summary>
    public bool IsBlockAligned => IsAligned(InputChannels, OutputChannels);

    /// <summary>The channel block of oneDNN's AVX-512 convolution kernels: counts that are multiples of it are computed right.</summary>
    internal const int OneDnnBlock = 16;

    /// <summary>Whether both channel counts are multiples of <see cref="OneDnnBlock"/>.</summary>
    internal static bool IsAligned(long inputChannels, long outputChannels) => inputChannels % OneDnnBlock == 0 && outputChannels % OneDnnBlock == 0;
}

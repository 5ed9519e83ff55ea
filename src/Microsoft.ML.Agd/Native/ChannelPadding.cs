using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Native;

/// <summary>
/// A 2-D convolution computed with its channel counts padded by zeros to multiples of oneDNN's block of 16, the padding
/// then sliced off: the same numbers (zero channels add nothing), by the blocked kernels that compute gradients right
/// where narrow ones do not. Its gradients flow through the padding to the convolution's own weight, bias and input.
/// </summary>
internal static class ChannelPadding
{
    /// <summary>Whether a convolution can be computed this way: 2-D, not transposed, one group, zero padding of given sizes.</summary>
    public static bool CanPad(Convolution convolution)
        => convolution is Conv2d && !convolution.transposed && convolution.groups == 1 && convolution.padding_mode == PaddingModes.Zeros && convolution.padding is not null;

    /// <summary>conv2d(input, weight, bias) with the input and output channels padded to multiples of 16.</summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, long[] stride, long[] padding, long[] dilation)
    {
        long outputs = weight.shape[0], inputs = weight.shape[1];
        long extraIn = Aligned(inputs) - inputs, extraOut = Aligned(outputs) - outputs;
        // pad's sizes run from the last dimension backwards, two (before, after) per dimension.
        var x = extraIn > 0 ? nn.functional.pad(input, [0, 0, 0, 0, 0, extraIn]) : input;
        var w = nn.functional.pad(weight, [0, 0, 0, 0, 0, extraIn, 0, extraOut]);
        var b = bias is null || extraOut == 0 ? bias : nn.functional.pad(bias, [0, extraOut]);
        var y = nn.functional.conv2d(x, w, b, stride, padding, dilation);
        return extraOut > 0 ? y.narrow(1, 0, outputs) : y;
    }

    private static long Aligned(long channels) => (channels + ConvolutionCheckCase.OneDnnBlock - 1) / ConvolutionCheckCase.OneDnnBlock * ConvolutionCheckCase.OneDnnBlock;
}

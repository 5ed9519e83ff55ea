using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Native;

/// <summary>
/// A 2-D convolution whose input gradient is computed as a forward convolution: the output gradient (with stride - 1
/// zeros between its rows and columns) correlated with the kernel flipped and its channels swapped. Forward kernels are
/// right at any width where oneDNN's backward-data kernel is not, and cost what the backward-data pass costs (4x for a
/// stride-2 convolution's zeros). libtorch computes the output and the weight and bias gradients itself, from an input
/// that does not ask for a gradient, so its backward-data kernel never runs.
/// </summary>
internal static class InputGradientByConvolution
{
    /// <summary>Whether a convolution can be computed this way: one that can be padded (<see cref="ChannelPadding.CanPad"/>), padded at most as far as its dilated kernel reaches.</summary>
    public static bool CanUse(Convolution convolution)
        => ChannelPadding.CanPad(convolution) && Enumerable.Range(0, 2).All(d => convolution.padding![d] <= convolution.dilation[d] * (convolution.kernel_size[d] - 1));

    /// <summary>conv2d(input, weight, bias), whose gradient with respect to the input is computed by <see cref="InputGradient"/>.</summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, long[] stride, long[] padding, long[] dilation)
    {
        var output = nn.functional.conv2d(input.detach(), weight, bias, stride, padding, dilation);
        return input.requires_grad ? Route.apply(output, input, weight, stride, padding, dilation) : output;
    }

    /// <summary>
    /// The gradient of conv2d(x, weight) with respect to x of shape <paramref name="inputShape"/>, given the output's
    /// gradient: that gradient spread over the padded input's grid (stride - 1 zeros between neighbours, zeros after the
    /// last window), correlated with the weight whose in and out channels are swapped and whose kernel is flipped.
    /// </summary>
    public static Tensor InputGradient(Tensor outputGradient, Tensor weight, long[] inputShape, long[] stride, long[] padding, long[] dilation)
    {
        long[] reach = [dilation[0] * (weight.shape[2] - 1), dilation[1] * (weight.shape[3] - 1)];
        var spread = Spread(outputGradient, stride, [inputShape[2] + 2 * padding[0] - reach[0], inputShape[3] + 2 * padding[1] - reach[1]]);
        var kernel = weight.detach().transpose(0, 1).flip(2, 3);
        return nn.functional.conv2d(spread, kernel, null, [1, 1], [reach[0] - padding[0], reach[1] - padding[1]], dilation);
    }

    // Each window's gradient at the grid position where the window starts: stride - 1 zeros between neighbours, and zeros
    // after the last window up to the grid's size.
    private static Tensor Spread(Tensor gradient, long[] stride, long[] size)
    {
        if (gradient.shape[2] == size[0] && gradient.shape[3] == size[1])
            return gradient;
        var spread = zeros([gradient.shape[0], gradient.shape[1], size[0], size[1]], gradient.dtype, gradient.device);
        spread.slice(2, 0, size[0], stride[0]).slice(3, 0, size[1], stride[1]).copy_(gradient);
        return spread;
    }

    /// <summary>The output unchanged going forward; going back, its gradient to libtorch's convolution (weight and bias) and <see cref="InputGradient"/> to the input.</summary>
    private sealed class Route : autograd.SingleTensorFunction<Route>
    {
        public override string Name => nameof(InputGradientByConvolution);

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var input = (Tensor)vars[1];
            ctx.save_for_backward([(Tensor)vars[2]]);
            ctx.save_data("shape", input.shape);
            ctx.save_data("geometry", new[] { (long[])vars[3], (long[])vars[4], (long[])vars[5] });
            return ((Tensor)vars[0]).alias();
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
        {
            var geometry = (long[][])ctx.get_data("geometry");
            var input = InputGradient(grad_output, ctx.get_saved_variables()[0], (long[])ctx.get_data("shape"), geometry[0], geometry[1], geometry[2]);
            return [grad_output, input, null!, null!, null!, null!]; // the weight's gradient comes through the output
        }
    }
}

using System.Runtime.CompilerServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Native;

/// <summary>
/// Applies a remedy to chosen convolutions, and leaves everything else as it was. Input gradients as convolutions
/// (<see cref="InputGradientByConvolution"/>) or padded (<see cref="ChannelPadding"/>): where the input needs a gradient,
/// a forward pre-hook keeps the input and hands the convolution an empty batch, and a forward hook replaces the empty
/// output by the remedy's computation on the kept input. Without oneDNN: a forward hook
/// puts an identity function after the convolution and another before it; in the backward pass the first turns oneDNN
/// off before the convolution's gradients are computed and the second turns it back on after them. A count of open
/// windows (under a lock: the switch is process-wide) keeps oneDNN off while any guarded convolution is inside its own.
/// </summary>
internal static class ConvolutionGuard
{
    private static readonly object s_lock = new();
    private static readonly ConditionalWeakTable<Convolution, object> s_guarded = [];
    private static int s_open;
    /// <summary>Guards every convolution of <paramref name="module"/> that the remedy covers (once each); returns their names.</summary>
    public static IReadOnlyList<string> Protect(nn.Module module, ConvolutionRemedy remedy)
    {
        if (remedy == ConvolutionRemedy.None)
            return [];
        var covered = module.named_modules().Prepend(("", module))
            .Where(m => m.Item2 is Convolution convolution && Covers(remedy, convolution))
            .Select(m => (Name: m.Item1, Convolution: (Convolution)m.Item2)).DistinctBy(m => m.Convolution).ToList();
        if (covered.Any(c => Replacement(remedy, c.Convolution) is null) && !LibTorchSwitches.Available)
            throw new InvalidOperationException(
                $"libtorch computes wrong float32 convolution gradients on this CPU ({TorchNative.ConvolutionCheck}), and this libtorch build " +
                "does not let the library turn oneDNN off. Use the libtorch version this package was built with.");
        foreach (var (_, convolution) in covered.Where(c => FirstTime(c.Convolution)))
        {
            if (Replacement(remedy, convolution) is { } compute)
                Replace(convolution, compute);
            else
                SwitchOneDnn(convolution);
        }
        return covered.Select(c => c.Name).ToList();
    }

    // The computation that replaces a convolution's own, or null where the remedy (or this convolution) needs oneDNN off.
    private static Conv2dForm? Replacement(ConvolutionRemedy remedy, Convolution convolution) => remedy switch
    {
        ConvolutionRemedy.NarrowInputGradientsAsConvolutions when InputGradientByConvolution.CanUse(convolution) => InputGradientByConvolution.Conv2d,
        ConvolutionRemedy.NarrowConvolutionsPadded when ChannelPadding.CanPad(convolution) => ChannelPadding.Conv2d,
        _ => null,
    };

    /// <summary>conv2d(input, weight, bias, stride, padding, dilation) computed another way.</summary>
    private delegate Tensor Conv2dForm(Tensor input, Tensor weight, Tensor? bias, long[] stride, long[] padding, long[] dilation);

    private static bool Covers(ConvolutionRemedy remedy, Convolution convolution)
        => remedy == ConvolutionRemedy.AllConvolutionsWithoutOneDnn || !ConvolutionCheckCase.IsAligned(convolution.in_channels, convolution.out_channels);

    private static bool FirstTime(Convolution convolution)
    {
        lock (s_guarded)
        {
            if (s_guarded.TryGetValue(convolution, out _))
                return false;
            s_guarded.Add(convolution, new object());
            return true;
        }
    }

    // Only where the input needs a gradient (then the backward pass computes one, and both functions run in it), and on
    // the CPU: oneDNN is a CPU library.
    private static void SwitchOneDnn(Convolution convolution)
    {
        convolution.register_forward_pre_hook((_, input) => Needed(input) ? Switch.apply(input, false) : input);
        convolution.register_forward_hook((_, input, output) => Needed(input) ? Switch.apply(output, true) : output);
    }

    // The convolution's own forward runs on an empty batch (at no cost) and its output is replaced by the remedy's.
    private static void Replace(Convolution convolution, Conv2dForm form)
    {
        var kept = new ThreadLocal<Tensor?>();
        convolution.register_forward_pre_hook((_, input) =>
        {
            if (!Needed(input) || input.dim() != 4)
                return input;
            kept.Value = input;
            return input.narrow(0, 0, 0);
        });
        convolution.register_forward_hook((_, _, output) =>
        {
            if (kept.Value is not { } input)
                return output;
            kept.Value = null;
            return form(input, convolution.weight, convolution.bias, convolution.stride, convolution.padding!, convolution.dilation);
        });
    }

    private static bool Needed(Tensor input) => input.requires_grad && input.device_type == DeviceType.CPU && is_grad_enabled();

    private static void Open()
    {
        lock (s_lock)
        {
            if (s_open++ == 0)
                LibTorchSwitches.SetOneDnn(false);
        }
    }

    private static void Close()
    {
        lock (s_lock)
        {
            if (s_open > 0 && --s_open == 0)
                LibTorchSwitches.SetOneDnn(true);
        }
    }

    /// <summary>
    /// An identity whose backward pass turns oneDNN off (placed after the convolution, so it runs first) or back on
    /// (placed before it, so it runs once the convolution's gradients are computed).
    /// </summary>
    private sealed class Switch : autograd.SingleTensorFunction<Switch>
    {
        public override string Name => nameof(ConvolutionGuard) + nameof(Switch);

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            ctx.save_data("off", vars[1]);
            return ((Tensor)vars[0]).alias();
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
        {
            if ((bool)ctx.get_data("off"))
                Open();
            else
                Close();
            return [grad_output, null!]; // one gradient per forward input; the switch's flag has none
        }
    }
}

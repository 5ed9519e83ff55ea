using static TorchSharp.torch;

namespace Microsoft.ML.Agd;

/// <summary>
/// How many floats a network's modules output for one image: what a training step keeps alive for the backward pass, and
/// so what a batch's memory grows with. Counted by running one image through the network with a hook on every module
/// that has no modules of its own.
/// </summary>
internal static class ModuleOutputs
{
    /// <summary>
    /// The floats every leaf module outputs for one image of a shape, and each convolution's unfolded input in the order
    /// they run (the columns libtorch's convolutions build without oneDNN: each output position's kernel-sized patch), in
    /// evaluation mode without gradients.
    /// </summary>
    public static (double Outputs, IReadOnlyList<double> Unfolds) PerImage(nn.Module<Tensor, Tensor> network, AgdImageShape shape)
    {
        Native.TorchNative.EnsureLoaded(); // the convolutions' backend chosen before the first one runs
        double floats = 0;
        var unfolds = new List<double>();
        var hooks = network.modules().Where(m => !m.children().Any()).OfType<nn.Module<Tensor, Tensor>>()
            .Select(m => m.register_forward_hook((module, _, output) =>
            {
                floats += output.numel();
                if (module is TorchSharp.Modules.Conv2d { weight: { } weight })
                    unfolds.Add((double)output.numel() / weight.shape[0] * weight[0].numel());
                return output;
            }))
            .ToList();
        bool training = network.training;
        try
        {
            network.eval(); // one image through a batch norm in training mode is an error, and its statistics must not move
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            network.forward(zeros(1, shape.Channels, shape.Height, shape.Width));
        }
        finally
        {
            network.train(training);
            hooks.ForEach(h => h.remove());
        }
        return (floats, unfolds);
    }
}

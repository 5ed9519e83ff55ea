using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Optim;

/// <summary>
/// Reads the depth of a network of the user's own kind from its first forward pass, so that <c>new AgdOptimizer(network)</c>
/// needs no example input: a pre-hook on the network keeps the first input it is called with, and the optimizer's first
/// step traces the network on it (<see cref="TracedDepth"/>) before it steps.
/// </summary>
internal sealed class FirstInputTrace : IDisposable
{
    private readonly nn.Module<Tensor, Tensor> _network;
    private readonly Action _removeHook;
    private Tensor? _input;

    /// <summary>Starts keeping the network's first input; the network must be readable (<see cref="TracedDepth.Unreadable"/>).</summary>
    public FirstInputTrace(nn.Module<Tensor, Tensor> network)
    {
        _network = network;
        var hook = network.register_forward_pre_hook((module, x) =>
        {
            // Kept outside the caller's dispose scope: the step may come after that scope ends.
            _input ??= x.detach().clone().DetachFromDisposeScope();
            return x;
        });
        _removeHook = hook.remove;
    }

    /// <summary>The depth traced on the first input, or null before any forward pass. Ends the trace.</summary>
    public double? TakeDepth()
    {
        var input = _input;
        _input = null;
        Dispose();
        if (input is null)
            return null;
        using (input)
            return TracedDepth.Of(_network, input);
    }

    /// <summary>Removes the hook and frees a kept input.</summary>
    public void Dispose()
    {
        _removeHook();
        _input?.Dispose();
        _input = null;
    }
}

using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Training;

/// <summary>
/// Remembers the weights of the epoch with the best validation accuracy, so training can go on past it and still
/// return it. One copy of the parameters and buffers, made at the first epoch that is measured.
/// </summary>
internal sealed class BestEpoch(nn.Module network) : IDisposable
{
    private List<(Tensor Live, Tensor Copy)>? _weights;

    /// <summary>The epoch whose weights are kept; 0 before any.</summary>
    public int Epoch { get; private set; }

    private double _accuracy = double.NegativeInfinity;

    /// <summary>Keeps this epoch's weights when its validation accuracy beats every earlier epoch's (ties keep the earlier).</summary>
    public void Offer(AgdEpoch epoch)
    {
        if (epoch.ValidationAccuracy is not { } accuracy || accuracy <= _accuracy)
            return;
        (Epoch, _accuracy) = (epoch.Epoch, accuracy);
        using var noGrad = no_grad();
        _weights ??= network.state_dict().Values.Select(t => (t, empty_like(t).DetachFromDisposeScope())).ToList();
        foreach (var (live, copy) in _weights)
            copy.copy_(live);
    }

    /// <summary>Puts the kept weights back into the network.</summary>
    public void Restore()
    {
        using var noGrad = no_grad();
        foreach (var (live, copy) in _weights ?? [])
            live.copy_(copy);
    }

    public void Dispose()
    {
        foreach (var (_, copy) in _weights ?? [])
            copy.Dispose();
    }
}

using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Training;

/// <summary>One copy of a network's parameters and buffers, taken and put back on demand (made at the first <see cref="Take"/>).</summary>
internal sealed class WeightCopy(nn.Module network) : IDisposable
{
    private List<(Tensor Live, Tensor Copy)>? _weights;

    /// <summary>Copies the network's weights now, over any earlier copy.</summary>
    public void Take()
    {
        using var noGrad = no_grad();
        _weights ??= network.state_dict().Values.Select(t => (t, empty_like(t).DetachFromDisposeScope())).ToList();
        foreach (var (live, copy) in _weights)
            copy.copy_(live);
    }

    /// <summary>Puts the copied weights back into the network; nothing happens before the first <see cref="Take"/>.</summary>
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

using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Training;

/// <summary>
/// Remembers the weights of the epoch with the best validation accuracy, so training can go on past it and still
/// return it. One copy of the parameters and buffers, made at the first epoch that is measured.
/// </summary>
internal sealed class BestEpoch(nn.Module network) : IDisposable
{
    private readonly WeightCopy _weights = new(network);
    private double _accuracy = double.NegativeInfinity;

    /// <summary>The epoch whose weights are kept; 0 before any.</summary>
    public int Epoch { get; private set; }

    /// <summary>Keeps this epoch's weights when its validation accuracy beats every earlier epoch's (ties keep the earlier).</summary>
    public void Offer(AgdEpoch epoch)
    {
        if (epoch.ValidationAccuracy is not { } accuracy || accuracy <= _accuracy)
            return;
        (Epoch, _accuracy) = (epoch.Epoch, accuracy);
        _weights.Take();
    }

    /// <summary>Puts the kept weights back into the network.</summary>
    public void Restore() => _weights.Restore();

    public void Dispose() => _weights.Dispose();
}

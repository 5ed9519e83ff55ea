using Microsoft.ML.Agd.Optim;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Training;

/// <summary>
/// <see cref="TrainingLoop"/>'s <see cref="IterateAverage"/> over a run of some epochs, whose length is known from the
/// start (the data's row count) or once its first epoch ends; does nothing when averaging is off or the length never
/// becomes known (a single epoch over data that does not know its rows).
/// </summary>
internal sealed class TailAverage : IDisposable
{
    private readonly nn.Module _network;
    private readonly bool _enabled;
    private readonly int _epochs;
    private IterateAverage? _average;
    private bool _firstEpochEnded;

    public TailAverage(nn.Module network, bool enabled, long? stepsPerEpoch, int epochs)
    {
        (_network, _enabled, _epochs) = (network, enabled, epochs);
        if (enabled && stepsPerEpoch is > 0 && epochs > 0)
            _average = new IterateAverage(network, stepsPerEpoch.Value * epochs); // long: a million epochs of a large set count beyond int
    }

    /// <summary>Counts a step (see <see cref="IterateAverage.Add"/>).</summary>
    public void Add() => _average?.Add();

    /// <summary>Learns the run's length from its first epoch's steps, when the data did not tell it.</summary>
    public void EpochEnded(int steps)
    {
        if (_firstEpochEnded)
            return;
        _firstEpochEnded = true;
        if (!_enabled || _average is not null || _epochs < 2 || steps == 0)
            return;
        _average = new IterateAverage(_network, (long)steps * _epochs);
        // The first epoch lies before the run's last tenth (the run has two epochs or more): its steps are counted, not averaged.
        for (int i = 0; i < steps; i++)
            _average.Add();
    }

    /// <summary>Writes the average into the network, when there is one.</summary>
    public void CopyTo() => _average?.CopyTo();

    public void Dispose() => _average?.Dispose();
}

using Microsoft.ML.Agd.Optim;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Training;

/// <summary>
/// <see cref="TrainingLoop"/>'s <see cref="IterateAverage"/> over a run of some epochs, counted in rows (a growing batch
/// makes steps of different sizes), whose length is known from the start (the data's row count, or the caller's) or once
/// its first epoch ends; does nothing when averaging is off or the length never becomes known (a single epoch over data that does not
/// know its rows).
/// </summary>
internal sealed class TailAverage : IDisposable
{
    private readonly nn.Module _network;
    private readonly bool _enabled;
    private readonly int _epochs;
    private IterateAverage? _average;
    private bool _firstEpochEnded;

    public TailAverage(nn.Module network, bool enabled, long? runRows, int epochs)
    {
        (_network, _enabled, _epochs) = (network, enabled, epochs);
        if (enabled && runRows is > 0 && epochs > 0)
            _average = new IterateAverage(network, runRows.Value);
    }

    /// <summary>Counts a step of some rows (see <see cref="IterateAverage.Add"/>).</summary>
    public void Add(long rows) => _average?.Add(rows);

    /// <summary>Learns the run's length from its first epoch's rows, when the data did not tell it.</summary>
    public void EpochEnded(long rows)
    {
        if (_firstEpochEnded)
            return;
        _firstEpochEnded = true;
        if (!_enabled || _average is not null || _epochs < 2 || rows == 0)
            return;
        // The first epoch lies before the run's last tenth (the run has two epochs or more): its rows are counted, not averaged.
        _average = new IterateAverage(_network, rows * _epochs);
        _average.Add(rows);
    }

    /// <summary>Writes the average into the network, when there is one.</summary>
    public void CopyTo() => _average?.CopyTo();

    public void Dispose() => _average?.Dispose();
}

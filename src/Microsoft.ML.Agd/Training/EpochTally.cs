using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Training;

/// <summary>An epoch's training loss, accuracy and mean eta as its steps go by; the correct rows are counted on the device and read once.</summary>
/// <param name="device">Where the outputs are.</param>
/// <param name="ranks">The ranks whose counts of correct rows add up to the epoch's, or null in one process.</param>
internal sealed class EpochTally(Device device, RankShare? ranks = null) : IDisposable
{
    private readonly Tensor _correct = zeros(1, dtype: ScalarType.Int64, device: device);
    private double _lossSum, _etaSum;
    private long _targets;

    /// <summary>Steps taken.</summary>
    public int Steps { get; private set; }

    /// <summary>Rows trained on.</summary>
    public long Rows { get; private set; }

    /// <summary>
    /// Counts a step: its mean loss over its rows, the outputs this process holds and their labels (a class per row, or
    /// per row and position as a language model's targets; none where another rank counts them), and eta (NaN for an
    /// optimizer without one).
    /// </summary>
    public void Add(double loss, long size, Tensor? output, Tensor? labels, double eta)
    {
        _lossSum += loss * size;
        if (output is not null && labels is not null)
        {
            using var one = 1.ToScalar(); // held to the call's end: an implicit Scalar can be finalized during the call
            _correct.add_(output.argmax(-1).eq(labels).sum(), one);
            _targets += labels.numel();
        }
        _etaSum += eta;
        Rows += size;
        Steps++;
    }

    /// <summary>The mean loss, the accuracy (over every rank's rows) and the mean eta (NaN for an epoch without steps).</summary>
    public (double Loss, double Accuracy, double MeanEta) Result()
    {
        double correct = _correct.item<long>(), targets = _targets;
        if (ranks is not null)
        {
            using var counts = tensor(new[] { correct, targets });
            ranks.Sum(counts);
            (correct, targets) = (counts[0].item<double>(), counts[1].item<double>());
        }
        return Rows == 0 ? (double.NaN, double.NaN, double.NaN) : (_lossSum / Rows, correct / targets, _etaSum / Steps);
    }

    public void Dispose() => _correct.Dispose();
}

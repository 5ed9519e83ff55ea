using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Training;

/// <summary>An epoch's training loss, accuracy and mean eta as its steps go by; the correct rows are counted on the device and read once.</summary>
internal sealed class EpochTally(Device device) : IDisposable
{
    private readonly Tensor _correct = zeros(1, dtype: ScalarType.Int64, device: device);
    private double _lossSum, _etaSum;
    private long _targets;

    /// <summary>Steps taken.</summary>
    public int Steps { get; private set; }

    /// <summary>Rows trained on.</summary>
    public long Rows { get; private set; }

    /// <summary>
    /// Counts a step: its mean loss, its output and labels (a class per row, or per row and position as a language
    /// model's targets), and eta (NaN for an optimizer without one).
    /// </summary>
    public void Add(double loss, Tensor output, Tensor labels, double eta)
    {
        long size = labels.shape[0];
        _lossSum += loss * size;
        using var one = 1.ToScalar(); // held to the call's end: an implicit Scalar can be finalized during the call
        _correct.add_(output.argmax(-1).eq(labels).sum(), one);
        _targets += labels.numel();
        _etaSum += eta;
        Rows += size;
        Steps++;
    }

    /// <summary>The mean loss, the accuracy and the mean eta (NaN for an epoch without steps).</summary>
    public (double Loss, double Accuracy, double MeanEta) Result()
        => Rows == 0 ? (double.NaN, double.NaN, double.NaN) : (_lossSum / Rows, (double)_correct.item<long>() / _targets, _etaSum / Steps);

    public void Dispose() => _correct.Dispose();
}

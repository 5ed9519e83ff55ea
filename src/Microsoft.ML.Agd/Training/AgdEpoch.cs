namespace Microsoft.ML.Agd.Training;

/// <summary>What one epoch of training measured.</summary>
/// <param name="Epoch">1 for the first epoch.</param>
/// <param name="TrainLoss">Mean training loss over the epoch's batches.</param>
/// <param name="TrainAccuracy">Fraction of training rows classified correctly during the epoch.</param>
/// <param name="MeanEta">Mean of AGD's automatic learning rate over the epoch's steps.</param>
/// <param name="ValidationLoss">Loss on the validation set after the epoch, when one was given.</param>
/// <param name="ValidationAccuracy">Accuracy on the validation set after the epoch, when one was given.</param>
/// <param name="Seconds">Wall time of the epoch, validation included.</param>
public sealed record AgdEpoch(int Epoch, double TrainLoss, double TrainAccuracy, double MeanEta, double? ValidationLoss, double? ValidationAccuracy, double Seconds)
{
    /// <summary>The batch size at the epoch's end (an automatic batch grows during training; 0 in models saved before it was recorded).</summary>
    public int BatchSize { get; init; }

    /// <summary>
    /// The gradient noise scale measured by the end of the epoch, tr(Sigma) / |G|^2: the batch size at which a batch's
    /// gradient noise is as large as the gradient. Null when the batch size was set (it is measured only for an automatic batch).
    /// </summary>
    public double? NoiseScale { get; init; }

    /// <inheritdoc />
    public override string ToString()
        => $"epoch {Epoch}: loss {TrainLoss:F4}, accuracy {TrainAccuracy:P2}, eta {MeanEta:F4}, batch {BatchSize}"
           + (ValidationAccuracy is { } va ? $", validation loss {ValidationLoss:F4}, validation accuracy {va:P2}" : "")
           + $", {Seconds:F1} s";
}

namespace Microsoft.ML.Agd.Search;

/// <summary>One trial of a search: a configuration trained for some epochs, or the error that stopped it.</summary>
/// <param name="Number">1 for the first trial.</param>
/// <param name="Configuration">What was trained.</param>
/// <param name="Rung">0 for the first round of successive halving.</param>
/// <param name="Epochs">Epochs completed, in passes over the whole training data: a trial on a quarter of the rows counts 0.25.</param>
/// <param name="BestEpoch">The epoch whose weights the trial's model keeps: the one with the best validation accuracy, in the same units.</param>
/// <param name="ValidationAccuracy">Accuracy of the trial's model on the validation data; null when the trial failed.</param>
/// <param name="Seconds">Wall time of the trial.</param>
/// <param name="FinishedAt">Seconds since the search started when the trial ended.</param>
/// <param name="Error">Why the trial failed, when it did.</param>
public sealed record AgdTrial(int Number, AgdConfiguration Configuration, int Rung, double Epochs, double BestEpoch, double? ValidationAccuracy, double Seconds, double FinishedAt, string? Error)
{
    /// <inheritdoc />
    public override string ToString() => Error is null
        ? $"trial {Number} (rung {Rung}): {Configuration}, {EpochsText}: validation accuracy {ValidationAccuracy:P2} in {Seconds:F1} s"
        : $"trial {Number} (rung {Rung}): {Configuration} failed: {Error}";

    /// <summary>The epochs trained, and the kept epoch when it is an earlier one: "100 epoch(s), best 63".</summary>
    public string EpochsText => $"{Epochs:0.##} epoch(s)" + (BestEpoch < Epochs ? $", best {BestEpoch:0.##}" : "");
}

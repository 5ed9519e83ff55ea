using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Training;

/// <summary>
/// Batches of inputs and their targets that <see cref="TrainingLoop"/> trains on, one pass (an epoch, or another round of
/// steps) per call: labelled images (<see cref="IImageBatches"/>), or a language model's token windows.
/// </summary>
internal interface IBatches
{
    /// <summary>
    /// The number of rows a pass holds, where it is known before the pass (as <see cref="IDataView.GetRowCount"/> says
    /// it); null, the default, for data read as it streams.
    /// </summary>
    long? GetRowCount() => null;

    /// <summary>
    /// Calls <paramref name="body"/> with each batch of one pass, inputs and targets (the output's class indices) on
    /// <paramref name="device"/>, inside a dispose scope of its own, in an order drawn from <paramref name="shuffle"/>, or in
    /// the data's order when it is null. Stops early when <paramref name="cancellation"/> is cancelled. The batch's
    /// tensors are valid while <paramref name="body"/> runs (they are freed, or refilled, after it): clone what must outlive it.
    /// </summary>
    void ForEachBatch(int batchSize, Generator? shuffle, Device device, Action<Tensor, Tensor> body, CancellationToken cancellation = default);
}

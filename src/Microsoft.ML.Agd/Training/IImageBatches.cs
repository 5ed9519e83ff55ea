using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Training;

/// <summary>Labelled images that training reads in batches: held in memory, or streamed (the Data folder reads both from ML.NET views).</summary>
internal interface IImageBatches : IDisposable
{
    /// <summary>Each channel's mean, measured on the training data.</summary>
    double[] Mean { get; }

    /// <summary>Each channel's standard deviation (1 for a constant channel).</summary>
    double[] StandardDeviation { get; }

    /// <summary>The distinct classes (0-based) among the labelled rows.</summary>
    long[] Classes { get; }

    /// <summary>
    /// The number of labelled rows, where it is known before a pass over the data (as <see cref="IDataView.GetRowCount"/>
    /// says it); null, the default, for data read as it streams.
    /// </summary>
    long? GetRowCount() => null;

    /// <summary>
    /// Calls <paramref name="body"/> with each batch, images [n, c, h, w] and labels [n] on <paramref name="device"/>,
    /// inside a dispose scope of its own; every labelled row once, in an order drawn from <paramref name="shuffle"/>, or
    /// in the data's order when it is null. Stops early when <paramref name="cancellation"/> is cancelled. The batch's
    /// tensors are valid while <paramref name="body"/> runs (they are freed, or refilled, after it): clone what must outlive it.
    /// </summary>
    void ForEachBatch(int batchSize, Generator? shuffle, Device device, Action<Tensor, Tensor> body, CancellationToken cancellation = default);
}

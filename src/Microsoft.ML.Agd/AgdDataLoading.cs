namespace Microsoft.ML.Agd;

/// <summary>How the trainer reads its data (see <see cref="AgdImageClassificationTrainer.Options.DataLoading"/>).</summary>
public enum AgdDataLoading
{
    /// <summary>
    /// In memory when the view knows its row count and the images take at most
    /// <see cref="AgdImageClassificationTrainer.Options.InMemoryLimitBytes"/> as float32; streamed otherwise.
    /// </summary>
    Auto,

    /// <summary>Every row read once into memory before the first step; each epoch is a permutation of them.</summary>
    InMemory,

    /// <summary>
    /// Rows read batch by batch each epoch, in an order from ML.NET's ShuffleRows (the view's own shuffling cursor where
    /// it can shuffle, mixed through a bounded pool of rows), with the next batches read while the current one trains:
    /// memory does not grow with the data set. The channel statistics come from the first 2,048 rows of a shuffled pass (millions of pixels a channel).
    /// </summary>
    Streaming,
}

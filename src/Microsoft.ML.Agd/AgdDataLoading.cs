namespace Microsoft.ML.Agd;

/// <summary>How the trainer reads its data (see <see cref="AgdImageClassificationTrainer.Options.DataLoading"/>).</summary>
public enum AgdDataLoading
{
    /// <summary>
    /// In memory when the view knows its row count and the images take at most
    /// <see cref="AgdImageClassificationTrainer.Options.InMemoryLimitBytes"/> as float32, and at most half of what this
    /// process, the network and its first batch leave of the machine's memory; streamed otherwise.
    /// </summary>
    Auto,

    /// <summary>
    /// Every row read once into one block of memory before the first step (a view that does not know its row count is
    /// counted first, in a pass over its labels); each epoch is a permutation of them.
    /// </summary>
    InMemory,

    /// <summary>
    /// Rows read batch by batch each epoch through a shuffle buffer: the view's own shuffling cursor where it can shuffle
    /// (a cache such as AppendCacheCheckpoint's, a binary file), mixed through a pool of 64 MiB of rows; where it cannot
    /// (LoadFromEnumerable, a text file), the pool alone mixes, so rows more than a pool apart keep roughly their order.
    /// A thread of the lowest priority reads the next batches while the current one trains: memory does not grow with
    /// the data set. The channel statistics come from the first 2,048 rows of a shuffled pass (millions of pixels a channel).
    /// </summary>
    Streaming,
}

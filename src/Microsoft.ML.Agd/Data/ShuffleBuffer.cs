namespace Microsoft.ML.Agd.Data;

/// <summary>
/// Rows of a view in a shuffled order, with bounded memory: the view's own shuffling cursor where it can shuffle (a
/// cache, a binary file), mixed through a pool of rows as a shuffle buffer does (tf.data, WebDataset): each row
/// given out is drawn at random from the pool and its slot refilled with the next row read. Where the view cannot
/// shuffle, the pool alone mixes, so rows more than a pool apart in the data's order stay roughly in that order.
/// </summary>
internal sealed class ShuffleBuffer : IDisposable
{
    private readonly RowReader _reader;
    private readonly Random _random;
    private readonly float[][] _pool;
    private readonly long[] _labels;
    private readonly int _rowSize;
    private int _count;
    private bool _readerEnded;

    /// <param name="data">The view.</param>
    /// <param name="columns">Its feature and label columns.</param>
    /// <param name="role">What the data is for, as errors name it.</param>
    /// <param name="rowSize">Floats per row.</param>
    /// <param name="pool">Slots for the rows held at once, filled as needed: reusing one for every epoch spares the allocations.</param>
    /// <param name="seed">The order's seed: the same seed gives the same order.</param>
    public ShuffleBuffer(IDataView data, InputColumns columns, string role, int rowSize, float[][] pool, int seed)
    {
        _random = new Random(seed);
        _reader = new RowReader(data, columns, role, new Random(_random.Next())); // the cursor's order, independent of the pool's draws
        (_pool, _labels, _rowSize) = (pool, new long[pool.Length], rowSize);
    }

    /// <summary>Writes the next row of the shuffled order into <paramref name="pixels"/>; false at the end.</summary>
    /// <exception cref="InvalidOperationException">A feature is NaN or infinite.</exception>
    public bool Next(Span<float> pixels, out long label)
    {
        // Rows start coming once a pool of an eighth is read, so training does not wait for the whole pool; until it
        // is full, two rows are read for every row given out.
        int target = _count == 0 ? Math.Max(1, _pool.Length / 8) : Math.Min(_pool.Length, _count + 1);
        while (!_readerEnded && _count < target)
            if (_reader.Next(_pool[_count] ??= new float[_rowSize], out _labels[_count]))
                _count++;
            else
                _readerEnded = true;
        if (_count == 0)
        {
            label = -1;
            return false;
        }
        int drawn = _random.Next(_count);
        _pool[drawn].CopyTo(pixels);
        label = _labels[drawn];
        if (_readerEnded || !_reader.Next(_pool[drawn], out _labels[drawn]))
        {
            // The data has ended: the pool drains, its last row taking the drawn one's slot.
            _readerEnded = true;
            _count--;
            (_pool[drawn], _pool[_count]) = (_pool[_count], _pool[drawn]);
            _labels[drawn] = _labels[_count];
        }
        return true;
    }

    public void Dispose() => _reader.Dispose();
}

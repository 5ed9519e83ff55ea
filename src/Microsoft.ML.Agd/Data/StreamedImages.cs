using Microsoft.ML.Agd.Native;
using Microsoft.ML.Agd.Training;
using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Data;

/// <summary>
/// Labelled images read from an <see cref="IDataView"/> batch by batch, each epoch anew, so memory does not grow with
/// the data set. Each epoch's order comes from a <see cref="ShuffleBuffer"/>: the view's own shuffling cursor where it
/// can shuffle, mixed through a bounded pool of rows (the pool alone where it cannot). A thread of the lowest priority
/// reads and checks the next batches, straight into the tensors training reads, while the current one trains.
/// </summary>
internal sealed class StreamedImages : IImageBatches
{
    /// <summary>Rows whose features measure the channel statistics: the first rows of a shuffled pass.</summary>
    private const int StatisticsRows = 2_048;

    private const long PoolBytes = 64L << 20;
    private const int BatchesAhead = 2;

    private readonly IDataView _data;
    private readonly InputColumns _columns;
    private readonly AgdImageShape _shape;
    private readonly string _role;
    private readonly int _size;
    private float[][]? _pool;

    private StreamedImages(IDataView data, InputColumns columns, AgdImageShape shape, string role)
        => (_data, _columns, _shape, _role, _size) = (data, columns, shape, role, checked((int)shape.Size));

    /// <inheritdoc />
    public double[] Mean { get; private set; } = [];

    /// <inheritdoc />
    public double[] StandardDeviation { get; private set; } = [];

    /// <summary>The classes seen in the statistics sample (and, when it saw one, in a pass over the labels): at least two unless the data has one.</summary>
    public long[] Classes { get; private set; } = [];

    /// <summary>Rows the shuffle buffer holds at once: 64 MiB of features, between 256 and 100,000 rows.</summary>
    private int PoolRows => (int)Math.Clamp(PoolBytes / (4L * _size), 256, 100_000);

    /// <summary>
    /// Opens the view: the first <see cref="StatisticsRows"/> rows of a shuffled pass measure the channel statistics and
    /// show the classes; only when they show fewer than two does a pass over the labels alone (no features computed)
    /// look for more.
    /// </summary>
    /// <exception cref="InvalidOperationException">No row has a label, or a feature read is NaN or infinite.</exception>
    public static StreamedImages Open(IDataView data, InputColumns columns, AgdImageShape shape, string role, int seed)
    {
        var images = new StreamedImages(data, columns, shape, role);
        var statistics = new ChannelStatistics(shape.Channels, shape.Height * shape.Width);
        var classes = new SortedSet<long>();
        var row = new float[images._size];
        images.Read(seed, rows =>
        {
            for (int n = 0; n < StatisticsRows && rows(row, out long label); n++)
            {
                statistics.Add(row);
                classes.Add(label);
            }
        });
        if (classes.Count == 1)
            using (var labels = new RowReader(data, columns, role))
                while (classes.Count < 2 && labels.NextLabel(out long label))
                    if (label >= 0)
                        classes.Add(label);
        if (classes.Count == 0)
            throw RowReader.NoLabelledRows(columns, role);
        (images.Classes, images.Mean, images.StandardDeviation) = (classes.ToArray(), statistics.Mean, statistics.StandardDeviation);
        return images;
    }

    /// <inheritdoc />
    public void ForEachBatch(int batchSize, Generator? shuffle, Device device, Action<Tensor, Tensor> body, CancellationToken cancellation = default)
    {
        int? seed = shuffle is null ? null : Seed(shuffle);
        // The batches' tensors are made and freed on this thread (TorchSharp counts tensors per thread); the reader only writes them.
        var batches = Enumerable.Range(0, BatchesAhead + 2).Select(_ => new Batch(batchSize, _shape)).ToList();
        using var free = new BlockingCollection<Batch>();
        batches.ForEach(free.Add);
        using var ready = new BlockingCollection<Batch>(BatchesAhead);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        ExceptionDispatchInfo? failure = null;
        var reader = new Thread(() =>
        {
            BackgroundPriority.LowerCurrentThread();
            try
            {
                Read(seed, rows => Produce(rows, free, ready, stop.Token));
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
            finally
            {
                ready.CompleteAdding();
            }
        }) { IsBackground = true, Name = $"AGD {_role} data" };
        reader.Start();
        try
        {
            foreach (var batch in ready.GetConsumingEnumerable())
            {
                if (cancellation.IsCancellationRequested)
                    break;
                using (var scope = NewDisposeScope())
                    body(batch.Images.narrow(0, 0, batch.Rows).to(device), batch.Labels.narrow(0, 0, batch.Rows).to(device));
                free.Add(batch);
            }
        }
        finally
        {
            // Whatever ended the epoch (its end, cancellation, an error in body), the reader stops and is gone before we return.
            stop.Cancel();
            foreach (var _ in ready.GetConsumingEnumerable())
            {
            }
            reader.Join();
            batches.ForEach(batch => batch.Dispose());
        }
        failure?.Throw();
    }

    // The epoch's shuffling seed, drawn from the training generator so that runs are reproducible.
    private static int Seed(Generator shuffle)
    {
        using var draw = randint(int.MaxValue, [1], generator: shuffle);
        return (int)draw.item<long>();
    }

    private delegate bool RowSource(Span<float> pixels, out long label);

    // Reads rows in a shuffled order (a seed) or in the data's own (null); a NaN or infinity found in a shuffled order
    // is reported at its position in the data's own order.
    private void Read(int? seed, Action<RowSource> read)
    {
        try
        {
            if (seed is { } shuffled)
            {
                using var buffer = new ShuffleBuffer(_data, _columns, _role, _size, _pool ??= new float[PoolRows][], shuffled);
                read(buffer.Next);
            }
            else
            {
                using var reader = new RowReader(_data, _columns, _role);
                read(reader.Next);
            }
        }
        catch (InvalidOperationException) when (seed is not null)
        {
            Read(null, rows =>
            {
                var row = new float[_size];
                while (rows(row, out _))
                {
                }
            });
            throw;
        }
    }

    private void Produce(RowSource rows, BlockingCollection<Batch> free, BlockingCollection<Batch> ready, CancellationToken stop)
    {
        while (true)
        {
            var batch = free.Take(stop);
            var pixels = MemoryMarshal.Cast<byte, float>(batch.Images.bytes);
            var labels = MemoryMarshal.Cast<byte, long>(batch.Labels.bytes);
            int size = labels.Length;
            batch.Rows = 0;
            while (batch.Rows < size && rows(pixels.Slice(batch.Rows * _size, _size), out labels[batch.Rows]))
                batch.Rows++;
            if (batch.Rows == 0)
                return;
            ready.Add(batch, stop);
        }
    }

    /// <summary>Lets the shuffle buffer's rows go.</summary>
    public void Dispose() => _pool = null;

    /// <summary>Tensors for one batch, filled by the reading thread and read by training, then filled again.</summary>
    private sealed class Batch(int batchSize, AgdImageShape shape) : IDisposable
    {
        public Tensor Images { get; } = empty(batchSize, shape.Channels, shape.Height, shape.Width);
        public Tensor Labels { get; } = empty([batchSize], dtype: ScalarType.Int64);
        public int Rows { get; set; }

        public void Dispose()
        {
            Images.Dispose();
            Labels.Dispose();
        }
    }
}

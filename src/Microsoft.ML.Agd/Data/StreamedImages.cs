using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Data;

/// <summary>
/// Labelled images read from an <see cref="IDataView"/> batch by batch, each epoch anew, so memory does not grow with
/// the data set. Each epoch's order comes from ML.NET's ShuffleRows: the view's own shuffling cursor where it can
/// shuffle (a cache, a binary or text file), mixed through a bounded pool of rows (the pool alone where it cannot). A
/// thread reads and checks the next batches while the current one trains.
/// </summary>
internal sealed class StreamedImages : IImageBatches
{
    /// <summary>Rows whose features measure the channel statistics: the first rows of a shuffled pass.</summary>
    internal const int StatisticsRows = 2_048;

    private const long PoolBytes = 64L << 20;
    private const int BatchesAhead = 2;

    private readonly IDataView _data;
    private readonly InputColumns _columns;
    private readonly AgdImageShape _shape;
    private readonly string _role;
    private readonly int _size;

    private StreamedImages(IDataView data, InputColumns columns, AgdImageShape shape, string role)
        => (_data, _columns, _shape, _role, _size) = (data, columns, shape, role, checked((int)shape.Size));

    /// <inheritdoc />
    public double[] Mean { get; private set; } = [];

    /// <inheritdoc />
    public double[] StandardDeviation { get; private set; } = [];

    /// <summary>The classes seen in the statistics sample (and, when it saw one, in a pass over the labels): at least two unless the data has one.</summary>
    public long[] Classes { get; private set; } = [];

    /// <summary>The thread that read the last epoch (tests check it has ended when the epoch returns).</summary>
    internal Thread? LastReader { get; private set; }

    /// <summary>Rows ShuffleRows holds at once: 64 MiB of features, between 256 and 100,000 rows.</summary>
    internal int PoolRows => (int)Math.Clamp(PoolBytes / (4L * _size), 256, 100_000);

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
        images.Read(images.Shuffled(seed), reader =>
        {
            for (int n = 0; n < StatisticsRows && reader.Next(row, out long label); n++)
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
        var view = shuffle is null ? _data : Shuffled(Seed(shuffle));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        using var ready = new BlockingCollection<Batch>(BatchesAhead);
        ExceptionDispatchInfo? failure = null;
        var reader = new Thread(() =>
        {
            try
            {
                Read(view, rows => Produce(rows, batchSize, ready, stop.Token));
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
        LastReader = reader;
        reader.Start();
        try
        {
            foreach (var batch in ready.GetConsumingEnumerable())
            {
                using (var scope = NewDisposeScope())
                {
                    var images = empty(batch.Rows, _shape.Channels, _shape.Height, _shape.Width);
                    var labels = empty([batch.Rows], dtype: ScalarType.Int64);
                    batch.Pixels.AsSpan(0, batch.Rows * _size).CopyTo(MemoryMarshal.Cast<byte, float>(images.bytes));
                    batch.Labels.AsSpan(0, batch.Rows).CopyTo(MemoryMarshal.Cast<byte, long>(labels.bytes));
                    batch.Return();
                    if (!cancellation.IsCancellationRequested)
                        body(images.to(device), labels.to(device));
                }
                if (cancellation.IsCancellationRequested)
                    break;
            }
        }
        finally
        {
            // Whatever ended the epoch (its end, cancellation, an error in body), the reader stops and is gone before we return.
            stop.Cancel();
            foreach (var left in ready.GetConsumingEnumerable())
                left.Return();
            reader.Join();
        }
        failure?.Throw();
    }

    // The epoch's shuffling seed, drawn from the training generator so that runs are reproducible.
    private static int Seed(Generator shuffle)
    {
        using var draw = randint(int.MaxValue, [1], generator: shuffle);
        return (int)draw.item<long>();
    }

    private IDataView Shuffled(int seed) => new MLContext(seed).Data.ShuffleRows(_data, seed, PoolRows, shuffleSource: true);

    // Reads a view; a NaN or infinity found in a shuffled order is reported at its position in the data's own order.
    private void Read(IDataView view, Action<RowReader> read)
    {
        try
        {
            using var reader = new RowReader(view, _columns, _role);
            read(reader);
        }
        catch (InvalidOperationException) when (view != _data)
        {
            Read(_data, reader =>
            {
                var row = new float[_size];
                while (reader.Next(row, out _))
                {
                }
            });
            throw;
        }
    }

    private void Produce(RowReader rows, int batchSize, BlockingCollection<Batch> ready, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var batch = new Batch(batchSize, _size);
            while (batch.Rows < batchSize && rows.Next(batch.Pixels.AsSpan(batch.Rows * _size, _size), out long label))
                batch.Labels[batch.Rows++] = label;
            if (batch.Rows == 0)
            {
                batch.Return();
                return;
            }
            ready.Add(batch, stop);
        }
    }

    public void Dispose()
    {
    }

    /// <summary>A batch's rows in pooled arrays, returned once they are copied into tensors.</summary>
    private sealed class Batch(int batchSize, int size)
    {
        public float[] Pixels { get; } = ArrayPool<float>.Shared.Rent(batchSize * size);
        public long[] Labels { get; } = ArrayPool<long>.Shared.Rent(batchSize);
        public int Rows { get; set; }

        public void Return()
        {
            ArrayPool<float>.Shared.Return(Pixels);
            ArrayPool<long>.Shared.Return(Labels);
        }
    }
}

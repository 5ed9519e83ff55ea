using Microsoft.ML.Agd.Optim;
using Microsoft.ML.Agd.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Data;

/// <summary>Rows of an <see cref="IDataView"/> read once into two tensors: images [n, c, h, w] and labels [n] (0-based).</summary>
internal sealed class LabelledImages : IImageBatches
{
    private LabelledImages(Tensor images, Tensor labels, double[] mean, double[] standardDeviation)
        => (Images, Labels, Mean, StandardDeviation) = (images, labels, mean, standardDeviation);

    /// <summary>The images, [n, channels, height, width].</summary>
    public Tensor Images { get; }

    /// <summary>The labels, [n], 0-based.</summary>
    public Tensor Labels { get; }

    /// <inheritdoc />
    public double[] Mean { get; }

    /// <inheritdoc />
    public double[] StandardDeviation { get; }

    /// <summary>The number of labelled rows.</summary>
    public long Count => Labels.shape[0];

    /// <inheritdoc />
    public long? GetRowCount() => Count;

    /// <inheritdoc />
    public long[] Classes
    {
        get
        {
            using var distinct = Labels.unique().Item1;
            return distinct.data<long>().ToArray();
        }
    }

    /// <summary>Reads every labelled row of a view: a known-size float vector of pixels and a key-typed label (as the trainer reads them).</summary>
    /// <exception cref="InvalidOperationException">A feature is NaN or infinite, or no row has a label.</exception>
    public static LabelledImages Read(IDataView data, AgdImageShape shape, string featureColumnName = "Features", string labelColumnName = "Label")
        => Read(data, new InputColumns(featureColumnName, labelColumnName), shape, "training");

    /// <summary>
    /// Reads every labelled row, measuring each channel's mean and standard deviation on the way; rows with a missing
    /// label are skipped, as ML.NET's trainers do. Rows are written straight into one block of native memory, so the set
    /// is held once: a view that does not know its row count is counted first, in a pass over its labels.
    /// </summary>
    /// <exception cref="InvalidOperationException">A feature is NaN or infinite, no row has a label, or the view gives more rows than it counted.</exception>
    internal static unsafe LabelledImages Read(IDataView data, InputColumns columns, AgdImageShape shape, string role)
    {
        int size = checked((int)shape.Size);
        long capacity = data.GetRowCount() ?? CountRows(data, columns, role);
        var labels = new List<long>();
        var statistics = new ChannelStatistics(shape.Channels, shape.Height * shape.Width);
        using var scope = NewDisposeScope();
        var all = empty(capacity, size);
        float* start = TensorMemory.Floats(all);
        using (var reader = new RowReader(data, columns, role))
        {
            while (labels.Count < capacity)
            {
                var row = new Span<float>(start + (long)labels.Count * size, size);
                if (!reader.Next(row, out long label))
                    break;
                statistics.Add(row);
                labels.Add(label);
            }
            if (labels.Count == capacity && reader.Next(new float[size], out _))
                throw new InvalidOperationException(
                    $"The {role} data gave more rows than the {capacity} it counted; its rows must be the same on every read. " +
                    "Make the view's rows repeatable (for example cache it with AppendCacheCheckpoint), or set DataLoading to Streaming.");
        }
        if (labels.Count == 0)
            throw RowReader.NoLabelledRows(columns, role);
        var images = all.narrow(0, 0, labels.Count).view(labels.Count, shape.Channels, shape.Height, shape.Width).MoveToOuterDisposeScope();
        return new LabelledImages(images, tensor(labels.ToArray()).MoveToOuterDisposeScope(), statistics.Mean, statistics.StandardDeviation);
    }

    private static long CountRows(IDataView data, InputColumns columns, string role)
    {
        using var reader = new RowReader(data, columns, role);
        long rows = 0;
        while (reader.NextLabel(out _))
            rows++;
        return rows;
    }

    /// <inheritdoc />
    public void ForEachBatch(int batchSize, Generator? shuffle, Device device, Action<Tensor, Tensor> body, CancellationToken cancellation = default)
    {
        using var order = shuffle is null ? null : randperm(Count, generator: shuffle);
        for (long start = 0; start < Count && !cancellation.IsCancellationRequested; start += batchSize)
        {
            using var scope = NewDisposeScope();
            long size = Math.Min(batchSize, Count - start);
            var rows = order?.narrow(0, start, size);
            var images = rows is null ? Images.narrow(0, start, size) : Images.index_select(0, rows);
            var labels = rows is null ? Labels.narrow(0, start, size) : Labels.index_select(0, rows);
            body(images.to(device), labels.to(device));
        }
    }

    /// <summary>A random share of the rows (at least one), the same ones for the same seed.</summary>
    internal LabelledImages Sample(double share, int seed)
    {
        using var generator = new Generator((ulong)seed);
        using var order = randperm(Count, generator: generator);
        using var rows = order.narrow(0, 0, Math.Max(1, (long)Math.Round(share * Count)));
        return new LabelledImages(Images.index_select(0, rows), Labels.index_select(0, rows), Mean, StandardDeviation);
    }

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}

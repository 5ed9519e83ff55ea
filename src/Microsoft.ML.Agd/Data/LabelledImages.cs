using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Data;

/// <summary>Rows of an <see cref="IDataView"/> read once into two tensors: images [n, c, h, w] and labels [n] (0-based).</summary>
internal sealed class LabelledImages : IDisposable
{
    private LabelledImages(Tensor images, Tensor labels, double[] mean, double[] standardDeviation)
        => (Images, Labels, Mean, StandardDeviation) = (images, labels, mean, standardDeviation);

    public Tensor Images { get; }
    public Tensor Labels { get; }

    /// <summary>Each channel's mean over the rows read (a sample keeps its whole set's).</summary>
    public double[] Mean { get; }

    /// <summary>Each channel's standard deviation over the rows read (1 for a constant channel).</summary>
    public double[] StandardDeviation { get; }
    public long Count => Labels.shape[0];

    /// <summary>
    /// Reads every labelled row, measuring each channel's mean and standard deviation on the way; rows with a missing
    /// label are skipped, as ML.NET's trainers do.
    /// </summary>
    /// <exception cref="InvalidOperationException">A feature is NaN or infinite, or no row has a label.</exception>
    public static LabelledImages Read(IDataView data, InputColumns columns, AgdImageShape shape, string role)
    {
        var features = data.Schema[columns.Features];
        var label = data.Schema[columns.Label];
        int size = checked((int)shape.Size);
        // Rows are gathered in blocks that become tensors as they fill: no array of the whole set is ever built.
        int blockRows = Math.Max(1, (1 << 20) / size);
        var blocks = new List<Tensor>();
        var block = new float[blockRows * size];
        int filled = 0;
        var labels = new List<long>();
        var statistics = new ChannelStatistics(shape.Channels, shape.Height * shape.Width);
        using (var scope = NewDisposeScope())
        {
            using (var cursor = data.GetRowCursor([features, label]))
            {
                var getFeatures = cursor.GetGetter<VBuffer<float>>(features);
                var getLabel = cursor.GetGetter<uint>(label);
                VBuffer<float> row = default;
                uint key = 0;
                for (long position = 0; cursor.MoveNext(); position++)
                {
                    getLabel(ref key);
                    if (key == 0)
                        continue;
                    getFeatures(ref row);
                    CheckFinite(row, columns.Features, position, role);
                    row.CopyTo(block.AsSpan(filled * size, size));
                    statistics.Add(block.AsSpan(filled * size, size));
                    labels.Add(key - 1);
                    if (++filled == blockRows)
                    {
                        blocks.Add(tensor(block, [filled, size]));
                        (block, filled) = (new float[blockRows * size], 0); // a fresh block: the tensor may share the last one
                    }
                }
            }
            if (filled > 0)
                blocks.Add(tensor(block.AsSpan(0, filled * size).ToArray(), [filled, size]));
            if (labels.Count == 0)
                throw new InvalidOperationException($"The {role} data has no rows with a label in column '{columns.Label}'; AGD needs at least one labelled image.");
            var images = cat(blocks).view(labels.Count, shape.Channels, shape.Height, shape.Width).MoveToOuterDisposeScope();
            return new LabelledImages(images, tensor(labels.ToArray()).MoveToOuterDisposeScope(), statistics.Mean, statistics.StandardDeviation);
        }
    }

    /// <summary>A random share of the rows (at least one), the same ones for the same seed.</summary>
    public LabelledImages Sample(double share, int seed)
    {
        using var generator = new Generator((ulong)seed);
        using var order = randperm(Count, generator: generator);
        using var rows = order.narrow(0, 0, Math.Max(1, (long)Math.Round(share * Count)));
        return new LabelledImages(Images.index_select(0, rows), Labels.index_select(0, rows), Mean, StandardDeviation);
    }

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }

    private static void CheckFinite(in VBuffer<float> row, string column, long position, string role)
    {
        var values = row.GetValues();
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i]))
                throw new InvalidOperationException(
                    $"Column '{column}' of the {role} data holds {values[i]} in row {position} (value {(row.IsDense ? i : row.GetIndices()[i])}); " +
                    "images must be finite numbers. Replace missing values (ReplaceMissingValues) or remove such rows.");
    }
}

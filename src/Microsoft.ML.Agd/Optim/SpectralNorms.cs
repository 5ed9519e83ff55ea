using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Optim;

/// <summary>
/// Each slice's largest singular value (a matrix is one slice, a convolution one per kernel position), by subspace
/// iteration: a block of <see cref="Block"/> orthonormal directions is multiplied by S^T S and re-orthonormalised, and
/// the largest singular value of S on that block is the estimate. Slices of the same shape are iterated together in one
/// batch, and each batch starts from where the previous step's block ended (a layer's leading singular directions change
/// little from one batch to the next). A slice whose smaller side is at most the block is measured exactly. An estimate
/// never exceeds the true value, and is kept within the bounds every matrix obeys: ||g||_F / sqrt(rank) &lt;= sigma &lt;= ||g||_F.
/// </summary>
internal sealed class SpectralNorms : IDisposable
{
    /// <summary>How many directions are iterated together per slice.</summary>
    public const int Block = 8;

    /// <summary>Iterations per step once a block exists, and for the first step from random directions.</summary>
    public const int Iterations = 1, FirstIterations = 8;

    private readonly Dictionary<(long Rows, long Columns), Tensor> _blocks = [];
    private readonly Generator _start = new(0);

    /// <summary>The slices' spectral norms given their squared Frobenius norms; an embedding's rows are vectors, whose two norms agree.</summary>
    public double[][] Of(IReadOnlyList<AgdLayer> layers, double[][] squares)
    {
        if (!squares.All(s => s.All(double.IsFinite)))
        {
            Forget(); // a NaN gradient: the step fails on G, and no later step starts from a NaN direction
            return LayerFactors.FrobeniusNorms(squares);
        }
        var batches = Batches(layers);
        var sigmas = batches.Select(b => Estimate(b.Shape, b.Slices)).ToList();
        var all = sigmas.Count == 0 ? [] : cat(sigmas).cpu().to(ScalarType.Float64).data<double>().ToArray();

        var result = LayerFactors.FrobeniusNorms(squares);
        int offset = 0;
        foreach (int k in batches.SelectMany(b => b.Layers))
        {
            double rank = Math.Min(layers[k].Weight.shape[0], layers[k].Weight.shape[1]);
            for (int i = 0; i < result[k].Length; i++, offset++)
                result[k][i] = Math.Clamp(all[offset], result[k][i] / Math.Sqrt(rank), result[k][i]);
        }
        return result;
    }

    /// <summary>The slices of one shape, from the layers at these indices in order, as one tensor [slices, longer side, shorter side].</summary>
    internal sealed record SliceBatch((long Rows, long Columns) Shape, IReadOnlyList<int> Layers, Tensor Slices);

    /// <summary>
    /// Every matrix and convolution gradient's slices, batched by shape (embeddings' rows are vectors and need none). A batch
    /// of one matrix is a view of its gradient; the others are copies.
    /// </summary>
    internal static List<SliceBatch> Batches(IReadOnlyList<AgdLayer> layers)
        => Enumerable.Range(0, layers.Count).Where(k => !layers[k].IsEmbedding).GroupBy(k => Shape(layers[k]))
            .Select(g => new SliceBatch(g.Key, g.ToList(), g.Count() == 1 ? Slices(layers[g.Single()]) : cat(g.Select(k => Slices(layers[k])).ToList())))
            .ToList();

    // A slice's shape with the smaller side second: the block's directions live on that side.
    private static (long Rows, long Columns) Shape(AgdLayer layer)
    {
        long rows = layer.Weight.shape[0], columns = layer.Weight.shape[1];
        return (Math.Max(rows, columns), Math.Min(rows, columns));
    }

    // A weight's gradient as [slices, longer side, shorter side]: one slice for a matrix, one per kernel position for a convolution.
    private static Tensor Slices(AgdLayer layer)
    {
        var gradient = layer.Weight.grad!;
        var slices = gradient.dim() == 2 ? gradient.unsqueeze(0) : gradient.permute(2, 3, 0, 1).reshape(-1, gradient.shape[0], gradient.shape[1]);
        return gradient.shape[0] >= gradient.shape[1] ? slices : slices.transpose(1, 2);
    }

    // Subspace iteration on S^T S, the block held as rows [slices, block, shorter side]: products with the block on the
    // left (B S^T, then (B S^T) S) run several times faster on CPU than S B with a narrow B. With a block as wide as the
    // shorter side, the block spans it and the value is exact.
    private Tensor Estimate((long Rows, long Columns) shape, Tensor slices)
    {
        long width = Math.Min(Block, shape.Columns), count = slices.shape[0];
        bool started = _blocks.TryGetValue(shape, out var kept) && kept.shape[0] == count;
        var block = started ? kept! : Orthonormal(randn([count, width, shape.Columns], dtype: slices.dtype, device: slices.device, generator: _start));
        int iterations = width == shape.Columns ? 0 : started ? Iterations : FirstIterations;
        var image = block.bmm(slices.transpose(1, 2));
        for (int i = 0; i < iterations; i++)
        {
            block = Orthonormal(image.bmm(slices));
            image = block.bmm(slices.transpose(1, 2));
        }
        Remember(shape, block);
        return linalg.eigvalsh(image.bmm(image.transpose(1, 2))).select(-1, -1).clamp_min(0).sqrt();
    }

    private static Tensor Orthonormal(Tensor rows) => linalg.qr(rows.transpose(1, 2)).Q.transpose(1, 2).contiguous();

    private void Remember((long Rows, long Columns) shape, Tensor block)
    {
        var kept = block.detach().clone().DetachFromDisposeScope();
        if (_blocks.Remove(shape, out var old))
            old.Dispose();
        _blocks[shape] = kept;
    }

    /// <summary>Releases the blocks and the generator of random starts.</summary>
    public void Dispose()
    {
        Forget();
        _start.Dispose();
    }

    // Every block dropped: the next estimates start from random directions.
    private void Forget()
    {
        foreach (var b in _blocks.Values)
            b.Dispose();
        _blocks.Clear();
    }
}

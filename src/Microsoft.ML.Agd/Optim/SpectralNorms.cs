using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Optim;

/// <summary>
/// Each slice's largest singular value (a matrix is one slice, a convolution one per kernel position), from a block of
/// <see cref="Block"/> orthonormal directions B and two products with the slice S: Z = S B and Y = S^T Z. The estimate is
/// the largest ||S^T z|| / ||z|| over z in the span of Z (a small generalised eigenproblem of Y^T Y against Z^T Z): a lower
/// bound on sigma at least the largest singular value of S on B, as close as one more product would make it
/// (benchmark section 18). Y, orthonormalised, is the next step's block: one step of subspace iteration, so each batch
/// starts from where the previous step's block ended (a layer's leading singular directions change little from one batch
/// to the next); the first step starts from random directions and iterates first. Slices of the same shape are iterated
/// together in one batch; across ranks, each shape's batch is estimated by one rank. A slice whose smaller side is at
/// most the block is measured exactly. An estimate never exceeds the true value, and is kept within the bounds every
/// matrix obeys: ||g||_F / sqrt(rank) &lt;= sigma &lt;= ||g||_F.
/// </summary>
internal sealed class SpectralNorms : IDisposable
{
    /// <summary>How many directions are iterated together per slice.</summary>
    public const int Block = 8;

    /// <summary>Iterations of the first step, from random directions, before its estimate.</summary>
    public const int FirstIterations = 8;

    private readonly Dictionary<(long Rows, long Columns), Tensor> _blocks = [];

    /// <summary>
    /// The slices' spectral norms given their squared Frobenius norms; an embedding's rows are vectors, whose two norms agree.
    /// With <paramref name="ranks"/>, each rank estimates its share of the shapes and one exchange of the estimates gives
    /// every rank all of them, the same on each.
    /// </summary>
    public double[][] Of(IReadOnlyList<AgdLayer> layers, double[][] squares, IStepRanks? ranks = null)
    {
        if (!squares.All(s => s.All(double.IsFinite)))
        {
            Forget(); // a NaN gradient: the step fails on G, and no later step starts from a NaN direction
            return LayerFactors.FrobeniusNorms(squares);
        }
        var groups = Groups(layers);
        var owners = ranks is null ? null : ShareOfWork.Owners([.. groups.Select(g => Cost(layers, g))], ranks.Size);
        var sigmas = groups.Select((g, i) => owners is null || owners[i] == ranks!.Rank ? Estimate(g.Shape, Gather(layers, g.Layers))
            : zeros(g.Layers.Sum(k => SliceCount(layers[k])), dtype: layers[g.Layers[0]].Weight.dtype, device: layers[g.Layers[0]].Weight.device)).ToList();
        var estimates = sigmas.Count == 0 ? null : cat(sigmas);
        if (estimates is not null && ranks is not null)
            ranks.Sum(estimates);
        var all = estimates is null ? [] : estimates.cpu().to(ScalarType.Float64).data<double>().ToArray();

        var result = LayerFactors.FrobeniusNorms(squares);
        Place(result, layers, groups.SelectMany(g => g.Layers), all);
        return result;
    }

    /// <summary>
    /// Puts estimates, in the order of <paramref name="order"/>'s layers and their slices, into <paramref name="norms"/>
    /// (which holds the Frobenius norms), each kept within ||g||_F / sqrt(rank) .. ||g||_F.
    /// </summary>
    internal static void Place(double[][] norms, IReadOnlyList<AgdLayer> layers, IEnumerable<int> order, double[] estimates)
    {
        int offset = 0;
        foreach (int k in order)
        {
            double rank = Math.Min(layers[k].Weight.shape[0], layers[k].Weight.shape[1]);
            for (int i = 0; i < norms[k].Length; i++, offset++)
                norms[k][i] = Math.Clamp(estimates[offset], norms[k][i] / Math.Sqrt(rank), norms[k][i]);
        }
    }

    /// <summary>The slices of one shape, from the layers at these indices in order, as one tensor [slices, longer side, shorter side].</summary>
    internal sealed record SliceBatch((long Rows, long Columns) Shape, IReadOnlyList<int> Layers, Tensor Slices);

    /// <summary>
    /// Every matrix and convolution gradient's slices, batched by shape (embeddings' rows are vectors and need none). A batch
    /// of one matrix is a view of its gradient; the others are copies.
    /// </summary>
    internal static List<SliceBatch> Batches(IReadOnlyList<AgdLayer> layers)
        => [.. Groups(layers).Select(g => new SliceBatch(g.Shape, g.Layers, Gather(layers, g.Layers)))];

    // The layers (by index) whose slices share a shape, in the order of the shapes' first layers.
    private static List<((long Rows, long Columns) Shape, IReadOnlyList<int> Layers)> Groups(IReadOnlyList<AgdLayer> layers)
        => [.. Enumerable.Range(0, layers.Count).Where(k => !layers[k].IsEmbedding).GroupBy(k => Shape(layers[k])).Select(g => (g.Key, (IReadOnlyList<int>)g.ToList()))];

    private static Tensor Gather(IReadOnlyList<AgdLayer> layers, IReadOnlyList<int> group)
        => group.Count == 1 ? Slices(layers[group[0]]) : cat(group.Select(k => Slices(layers[k])).ToList());

    private static long SliceCount(AgdLayer layer) => layer.Weight.dim() == 4 ? layer.Weight.shape[2] * layer.Weight.shape[3] : 1;

    // A group's estimate costs about its products: slices x rows x columns, times the block.
    private static double Cost(IReadOnlyList<AgdLayer> layers, ((long Rows, long Columns) Shape, IReadOnlyList<int> Layers) group)
        => (double)group.Layers.Sum(k => SliceCount(layers[k])) * group.Shape.Rows * group.Shape.Columns;

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

    // The block is held as rows [slices, block, shorter side], so Z^T = B S^T and Y^T = Z^T S: products with the block on
    // the left run several times faster on CPU than S B with a narrow B. With a block as wide as the shorter side, the block
    // spans it and the largest singular value on it is exact.
    private Tensor Estimate((long Rows, long Columns) shape, Tensor slices)
    {
        long width = Math.Min(Block, shape.Columns), count = slices.shape[0];
        bool started = _blocks.TryGetValue(shape, out var kept) && kept.shape[0] == count;
        var block = started ? kept! : Orthonormal(RandomStart(count, width, shape.Columns, slices));
        var image = block.bmm(slices.transpose(1, 2));
        if (width == shape.Columns)
        {
            Remember(shape, block);
            return linalg.eigvalsh(image.bmm(image.transpose(1, 2))).select(-1, -1).clamp_min(0).sqrt();
        }
        for (int i = started ? 0 : FirstIterations; i > 0; i--)
            image = Orthonormal(image.bmm(slices)).bmm(slices.transpose(1, 2));
        var next = image.bmm(slices);
        Remember(shape, Orthonormal(next));
        return LargestQuotients(image, next).sqrt().to(slices.dtype);
    }

    // Random directions to start from, drawn from a seed of the shape alone: the same on every rank, whichever shapes a
    // rank estimates and in whatever order.
    private static Tensor RandomStart(long count, long width, long columns, Tensor slices)
    {
        using var seeded = new Generator((ulong)(count * 1_000_003 + slices.shape[1] * 1_009 + columns));
        return randn([count, width, columns], dtype: slices.dtype, device: CPU, generator: seeded).to(slices.device);
    }

    // max over a of |Y^T a|^2 / |Z^T a|^2 for rows Z [slices, block, n] and Y, in float64: with Z Z^T = U L U^T, the largest
    // eigenvalue of L^-1/2 U^T Y Y^T U L^-1/2; directions where Z vanishes (L tiny) have Y vanish too and are dropped.
    private static Tensor LargestQuotients(Tensor z, Tensor y)
    {
        var (z64, y64) = (z.to(ScalarType.Float64), y.to(ScalarType.Float64));
        var (l, u) = linalg.eigh(z64.bmm(z64.transpose(1, 2)));
        var scale = u * where(l > l.amax([-1], keepdim: true) * 1e-10, l.clamp_min(double.Epsilon).rsqrt(), zeros_like(l)).unsqueeze(1);
        var yScaled = scale.transpose(1, 2).bmm(y64);
        return linalg.eigvalsh(yScaled.bmm(yScaled.transpose(1, 2))).select(-1, -1).clamp_min(0);
    }

    internal static Tensor Orthonormal(Tensor rows) => linalg.qr(rows.transpose(1, 2)).Q.transpose(1, 2).contiguous();

    private void Remember((long Rows, long Columns) shape, Tensor block)
    {
        var kept = block.detach().clone().DetachFromDisposeScope();
        if (_blocks.Remove(shape, out var old))
            old.Dispose();
        _blocks[shape] = kept;
    }

    /// <summary>Releases the blocks.</summary>
    public void Dispose() => Forget();

    // Every block dropped: the next estimates start from random directions.
    private void Forget()
    {
        foreach (var b in _blocks.Values)
            b.Dispose();
        _blocks.Clear();
    }
}

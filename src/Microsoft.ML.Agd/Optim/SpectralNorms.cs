using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Optim;

/// <summary>
/// Each slice's largest singular value (a matrix is one slice, a convolution one per kernel position), by power iteration
/// on all layers at once, starting where the previous step's ended and stopping when no estimate grew by more than
/// <see cref="Tolerance"/>. An estimate never exceeds the true value, and it is kept within the bounds every matrix
/// obeys: ||g||_F / sqrt(rank) &lt;= sigma &lt;= ||g||_F.
/// </summary>
internal sealed class SpectralNorms : IDisposable
{
    /// <summary>The relative growth of every estimate below which the iteration stops.</summary>
    public const double Tolerance = 0.01;

    private const int MaxIterations = 16;

    // Slices whose smaller side is at most this get an exact singular value decomposition, which costs less there.
    private const int ExactLimit = 128;

    private readonly Dictionary<AgdLayer, Tensor> _vectors = [];
    private readonly Generator _start = new(0);

    /// <summary>How many products with the slices (pairs S v, S^T u) the last call made per layer.</summary>
    public int Iterations { get; private set; }

    /// <summary>The slices' spectral norms given their squared Frobenius norms; an embedding's rows are vectors, whose two norms agree.</summary>
    public double[][] Of(IReadOnlyList<AgdLayer> layers, double[][] squares)
    {
        if (!squares.All(s => s.All(double.IsFinite)))
        {
            Dispose(); // a NaN gradient: the step fails on G, and no later step starts from a NaN direction
            return squares.Select(s => s.Select(Math.Sqrt).ToArray()).ToArray();
        }
        var matrices = layers.Where(l => !l.IsEmbedding).ToList();
        var slices = matrices.Select(Slices).ToList();
        var large = Enumerable.Range(0, matrices.Count).Where(k => Math.Min(slices[k].shape[1], slices[k].shape[2]) > ExactLimit).ToList();
        var iterated = Iterate(large.Select(k => matrices[k]).ToList(), large.Select(k => slices[k]).ToList());
        var sigmas = slices.Select((s, k) => large.Contains(k) ? iterated[large.IndexOf(k)] : linalg.matrix_norm(s, ord: 2)).ToList();
        var estimate = sigmas.Count == 0 ? [] : cat(sigmas).cpu().to(ScalarType.Float64).data<double>().ToArray();
        return Bounded(layers, squares, estimate);
    }

    // Power iteration on the large layers at once, until no estimate grows by more than the tolerance.
    private IReadOnlyList<Tensor> Iterate(IReadOnlyList<AgdLayer> layers, IReadOnlyList<Tensor> slices)
    {
        var vectors = layers.Select((l, k) => _vectors.TryGetValue(l, out var v) ? v
            : randn([slices[k].shape[0], slices[k].shape[2], 1], dtype: slices[k].dtype, device: slices[k].device, generator: _start)).ToList();
        var sigmas = new List<Tensor>();
        double[] estimate = [];
        for (Iterations = 1; layers.Count > 0; Iterations++)
        {
            var steps = vectors.Select((v, k) => Iterate(slices[k], v)).ToList();
            (sigmas, vectors) = (steps.Select(s => s.Sigma).ToList(), steps.Select(s => s.Vector).ToList());
            var next = cat(sigmas).cpu().to(ScalarType.Float64).data<double>().ToArray();
            bool done = next.Length == estimate.Length && next.Zip(estimate).All(p => !(p.First > p.Second * (1 + Tolerance)));
            estimate = next;
            if (done || Iterations == MaxIterations)
                break;
        }
        for (int k = 0; k < layers.Count; k++)
            Remember(layers[k], vectors[k]);
        return sigmas;
    }

    // Each non-embedding layer's estimates, in order, kept within the matrix bounds; an embedding's are its rows' norms.
    private static double[][] Bounded(IReadOnlyList<AgdLayer> layers, double[][] squares, double[] estimate)
    {
        var result = new double[layers.Count][];
        for (int k = 0, offset = 0; k < layers.Count; k++)
        {
            result[k] = squares[k].Select(Math.Sqrt).ToArray();
            if (layers[k].IsEmbedding)
                continue;
            double rank = Math.Min(layers[k].Weight.shape[0], layers[k].Weight.shape[1]);
            for (int i = 0; i < result[k].Length; i++, offset++)
                result[k][i] = Math.Clamp(estimate[offset], result[k][i] / Math.Sqrt(rank), result[k][i]);
        }
        return result;
    }

    // A weight's gradient as [slices, out, in]: one slice for a matrix, one per kernel position for a convolution.
    private static Tensor Slices(AgdLayer layer)
    {
        var gradient = layer.Weight.grad!;
        return gradient.dim() == 2 ? gradient.unsqueeze(0) : gradient.permute(2, 3, 0, 1).reshape(-1, gradient.shape[0], gradient.shape[1]);
    }

    // One step of power iteration: w = S^T S v for the unit vector v; ||w|| <= sigma^2, and w is the next start (a zero
    // slice keeps its direction).
    private static (Tensor Sigma, Tensor Vector) Iterate(Tensor slices, Tensor v)
    {
        var unit = v.div(v.norm(dim: 1, keepdim: true).clamp_min(1e-30));
        var w = slices.transpose(1, 2).bmm(slices.bmm(unit));
        var size = w.norm(dim: 1, keepdim: true);
        return (size.reshape(-1).sqrt(), where(size > 0, w, unit));
    }

    private void Remember(AgdLayer layer, Tensor vector)
    {
        var kept = vector.detach().clone().DetachFromDisposeScope();
        if (_vectors.Remove(layer, out var old))
            old.Dispose();
        _vectors[layer] = kept;
    }

    /// <summary>Forgets every direction: the next estimates start afresh.</summary>
    public void Dispose()
    {
        foreach (var v in _vectors.Values)
            v.Dispose();
        _vectors.Clear();
    }
}

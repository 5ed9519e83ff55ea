using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Optim;

/// <summary>
/// AGD's step along the steepest descent of the norm its bound constrains. The bound limits each layer's change in
/// spectral norm; among the changes of a given spectral norm, the one that lowers the loss most to first order is the
/// gradient's polar factor U V^T (its singular values all set to one), and the loss falls by the gradient's nuclear norm,
/// the sum of its singular values. So each slice of a layer (a matrix, a convolution's kernel position, an embedding's
/// row) moves by -(eta / L) * s_k * U V^T, and G = (1/L) sum_k s_k * sum of its slices' nuclear norms. For a gradient of
/// rank one, as the paper's single example gives, this is the published step. Between steps it remembers, per layer,
/// how many columns a sketch of the gradient's range needed.
/// </summary>
internal sealed class PolarStep
{
    // Singular values below this share of a slice's largest are the float32 gradient's rounding, not directions.
    private const double RelativeFloor = 1e-6;

    // The first sketch's columns: a batch of 32 rows with a quarter more to spare (a sketch of exactly the gradient's rank
    // is too often ill-conditioned to hold it to the rounding). A matrix whose shorter side is under twice the sketch goes
    // straight to its Gram matrix.
    public const long FirstSketch = 40;

    private readonly Dictionary<AgdLayer, long> _sketchColumns = [];

    /// <summary>The linear layers' gradients as products of their factors, where the optimizer keeps them (its network's forward hooks).</summary>
    internal LinearFactors? Factors { get; set; }

    /// <summary>How many layers the last step factorised from their factors (<see cref="LinearFactors"/>).</summary>
    internal int FactoredLayers { get; private set; }

    /// <summary>Takes one step from the layers' gradients; returns eta.</summary>
    /// <param name="layers">The layers, with their gradients (on several ranks, the same on every rank).</param>
    /// <param name="depth">The plan's depth.</param>
    /// <param name="signalShare">The gradient's expected share of signal.</param>
    /// <param name="ranks">
    /// The ranks that train together, or null: each factorises its share of the layers, and one exchange gives every rank
    /// every layer's polar factor, so the factorisations, the step's most costly part, are not repeated on every rank. A
    /// linear layer with <see cref="Factors"/> is factorised from every rank's rows, gathered.
    /// </param>
    /// <exception cref="TrainingDivergedException">A gradient holds NaN or infinity (nothing is moved).</exception>
    public double Take(IReadOnlyList<AgdLayer> layers, double depth, double signalShare, IStepRanks? ranks = null)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        // One transfer for every layer's Frobenius norm: a non-finite gradient is refused before any factorisation.
        var frobenius = stack(layers.Select(l => l.Weight.grad!.to(ScalarType.Float64).norm()).ToArray()).cpu().data<double>().ToArray();
        if (frobenius.Any(n => !double.IsFinite(n)))
            throw new TrainingDivergedException("AGD step: a gradient holds NaN or infinity; the loss or the data produced it, so no update was made.");
        var factors = CheckedFactors(layers, frobenius, ranks);
        FactoredLayers = factors.Count(f => f is not null);
        var owners = ranks is null ? null : Owners(layers, ranks.Size);
        var polar = layers.Select((l, k) => owners is not null && owners[k] != ranks!.Rank ? (zeros_like(l.Weight.grad!), 0)
            : factors[k] is var (d, a, c) ? FromFactors(d, a, c, l.Weight.dtype) : Of(l)).ToList();
        if (ranks is not null)
            polar = Exchange(polar, ranks);
        double eta = AgdOptimizer.Eta(AgdOptimizer.G(layers, k => polar[k].Nuclear, signalShare, depth));
        for (int k = 0; k < layers.Count; k++)
        {
            double rate = eta / depth * layers[k].StepScale;
            layers[k].Weight.add_(polar[k].Direction, alpha: -rate);
            // A layer's rank-1 parameters move by its rate over its gradient's Frobenius norm, as in the published step.
            foreach (var (_, p, _) in layers[k].Members)
                if (p.grad is { } pg && frobenius[k] > 0)
                    p.add_(pg, alpha: -rate / frobenius[k]);
        }
        return eta;
    }

    /// <summary>
    /// The rank that factorises each layer (<see cref="ShareOfWork"/>), by the cost of its Gram matrix's eigendecomposition
    /// and products (slices x short side^2 x long side).
    /// </summary>
    internal static int[] Owners(IReadOnlyList<AgdLayer> layers, int ranks) => ShareOfWork.Owners([.. layers.Select(l => Cost(l.Weight))], ranks);

    private static double Cost(Tensor weight)
    {
        double slices = weight.dim() == 4 ? weight.shape[2] * weight.shape[3] : 1, rows = weight.shape[0], columns = weight.shape[1];
        return slices * Math.Min(rows, columns) * Math.Min(rows, columns) * Math.Max(rows, columns);
    }

    // Every layer's direction and nuclear norm from the rank that computed it, in one sum where the others add zeros. A
    // nuclear norm travels as two floats (its float32 value and the rest), so that it arrives as computed, to about 1e-14.
    private static List<(Tensor Direction, double Nuclear)> Exchange(List<(Tensor Direction, double Nuclear)> polar, IStepRanks ranks)
    {
        var nuclear = polar.SelectMany(p => new[] { (float)p.Nuclear, (float)(p.Nuclear - (float)p.Nuclear) }).ToArray();
        var flat = cat([.. polar.Select(p => p.Direction.reshape(-1).to(ScalarType.Float32)), tensor(nuclear, device: polar[0].Direction.device)]);
        ranks.Sum(flat);
        var sums = flat.narrow(0, flat.shape[0] - nuclear.Length, nuclear.Length).cpu().data<float>().ToArray();
        long offset = 0;
        var shared = new List<(Tensor Direction, double Nuclear)>();
        for (int k = 0; k < polar.Count; k++)
        {
            var direction = polar[k].Direction;
            shared.Add((flat.narrow(0, offset, direction.numel()).view_as(direction).to(direction.dtype), (double)sums[2 * k] + sums[2 * k + 1]));
            offset += direction.numel();
        }
        return shared;
    }

    // Each linear layer's factors (every rank's rows, gathered) where its gradient is c D^T A for them and their R rows are
    // at most half its shorter side (where a sketch would be made); null for the others. Alike on every rank.
    private (Tensor D, Tensor A, double C)?[] CheckedFactors(IReadOnlyList<AgdLayer> layers, double[] frobenius, IStepRanks? ranks)
    {
        var checkedFactors = new (Tensor D, Tensor A, double C)?[layers.Count];
        if (Factors is null)
            return checkedFactors;
        var rows = layers.Select(Factors.Rows).ToList();
        Factors.Clear();
        if (ranks is not null)
            rows = Gathered(rows, ranks);
        for (int k = 0; k < layers.Count; k++)
            if (rows[k] is var (d, a) && 2 * d.shape[0] <= Math.Min(d.shape[1], a.shape[1]) && LinearFactors.Multiple(layers[k].Weight.grad!, frobenius[k], d, a) is { } c)
                checkedFactors[k] = (d, a, c);
        return checkedFactors;
    }

    // Every rank's rows of each layer's factors on every rank, in rank order: one exchange of how many each kept, one of the
    // rows (each value from one rank and zeros from the others, so it arrives as kept). A layer for which a rank kept none
    // is left out, and steps from its gradient.
    private static List<(Tensor D, Tensor A)?> Gathered(List<(Tensor D, Tensor A)?> rows, IStepRanks ranks)
    {
        var counts = tensor(rows.SelectMany(r => Enumerable.Range(0, ranks.Size).Select(i => i == ranks.Rank ? (float)(r?.D.shape[0] ?? 0) : 0)).ToArray());
        ranks.Sum(counts);
        var kept = counts.data<float>().Select(c => (long)c).Chunk(ranks.Size).ToList();
        var shapes = rows.Select((r, k) => r is var (d, a) && kept[k].All(c => c > 0) ? (Rows: kept[k].Sum(), Columns: d.shape[1] + a.shape[1]) : (Rows: 0L, Columns: 0L)).ToList();
        var flat = zeros(shapes.Sum(s => s.Rows * s.Columns), device: rows.FirstOrDefault(r => r is not null)?.D.device);
        var gathered = new List<(Tensor D, Tensor A)?>();
        long offset = 0;
        for (int k = 0; k < rows.Count; k++)
        {
            if (shapes[k].Rows == 0)
            {
                gathered.Add(null);
                continue;
            }
            var all = flat.narrow(0, offset, shapes[k].Rows * shapes[k].Columns).view(shapes[k].Rows, shapes[k].Columns);
            var (d, a) = rows[k]!.Value;
            all.narrow(0, kept[k].Take(ranks.Rank).Sum(), d.shape[0]).copy_(cat([d, a], 1));
            gathered.Add((all.narrow(1, 0, d.shape[1]), all.narrow(1, d.shape[1], a.shape[1])));
            offset += all.numel();
        }
        if (offset > 0)
            ranks.Sum(flat);
        return gathered;
    }

    /// <summary>
    /// The polar factor and nuclear norm of G = c D^T A (c &gt; 0) from its factors, D [R, out] and A [R, in]: with
    /// D^T = Q_d R_d and A^T = Q_a R_a, G = c Q_d (R_d R_a^T) Q_a^T, and for the small R_d R_a^T = U S V^T the polar factor is
    /// Q_d U V^T Q_a^T and the nuclear norm c times the sum of S. Two thin QRs and an R x R SVD in float64, then one product
    /// of R columns in the weight's dtype, where the direction is used.
    /// </summary>
    internal static (Tensor Direction, double Nuclear) FromFactors(Tensor d, Tensor a, double c, ScalarType dtype)
    {
        var (qd, rd) = linalg.qr(d.t().to(ScalarType.Float64));
        var (qa, ra) = linalg.qr(a.t().to(ScalarType.Float64));
        var (u, s, vh) = linalg.svd(rd.matmul(ra.t()), fullMatrices: false);
        var kept = s.gt(s.amax().mul(RelativeFloor));
        double nuclear = c * s.mul(kept).sum().item<double>();
        return (qd.matmul(u.mul(kept)).to(dtype).matmul(vh.matmul(qa.t()).to(dtype)), nuclear);
    }

    private (Tensor Direction, double Nuclear) Of(AgdLayer layer)
    {
        long columns = _sketchColumns.GetValueOrDefault(layer, FirstSketch);
        var result = Of(layer.Weight.grad!, layer.IsEmbedding, ref columns);
        _sketchColumns[layer] = columns;
        return result;
    }

    /// <summary>A gradient's polar factor slice by slice, in its own shape and dtype, and the sum of the slices' nuclear norms.</summary>
    /// <param name="gradient">The layer's gradient.</param>
    /// <param name="isEmbedding">Whether its slices are its rows.</param>
    /// <param name="sketchColumns">The sketch to start from; on return, the one that held the gradient (or the shorter side, when none did).</param>
    public static (Tensor Direction, double Nuclear) Of(Tensor gradient, bool isEmbedding, ref long sketchColumns)
    {
        if (isEmbedding)
        {
            // Each row is a slice of rank one: its polar factor is the row over its norm, its nuclear norm the norm.
            var norms = gradient.to(ScalarType.Float64).norm(1, keepdim: true);
            var safe = where(norms.gt(0), norms, ones_like(norms));
            return (gradient.to(ScalarType.Float64).div(safe).to(gradient.dtype), norms.sum().item<double>());
        }
        // Slices [count, out, in]: the matrix, or a convolution's kernel positions.
        var slices = gradient.dim() == 4 ? gradient.permute(2, 3, 0, 1).reshape(-1, gradient.shape[0], gradient.shape[1]) : gradient.unsqueeze(0);
        var (direction, nuclear) = Polar(slices.to(ScalarType.Float64), ref sketchColumns);
        var shaped = gradient.dim() == 4
            ? direction.reshape(gradient.shape[2], gradient.shape[3], gradient.shape[0], gradient.shape[1]).permute(2, 3, 0, 1)
            : direction.reshape(gradient.shape);
        return (shaped.to(gradient.dtype).contiguous(), nuclear);
    }

    // A batch of B rows gives a linear layer's gradient rank at most B: when that is well below the matrix's shorter side,
    // a sketch of the range (x times a random block of columns, made orthonormal as Q) holds all of x = Q (Q^T x), and
    // the polar factor is Q times that of the small Q^T x. The sketch doubles until it holds all but the rounding.
    private static (Tensor Direction, double Nuclear) Polar(Tensor slices, ref long sketchColumns)
    {
        bool wide = slices.shape[1] <= slices.shape[2];
        var x = wide ? slices : slices.transpose(1, 2);
        for (; 2 * sketchColumns <= x.shape[1]; sketchColumns *= 2)
            if (Sketched(x, sketchColumns) is { } sketched)
                return (wide ? sketched.Direction : sketched.Direction.transpose(1, 2), sketched.Nuclear);
        sketchColumns = x.shape[1];
        var (direction, nuclear) = Polar(x);
        return (wide ? direction : direction.transpose(1, 2), nuclear);
    }

    private static (Tensor Direction, double Nuclear)? Sketched(Tensor x, long columns)
    {
        // A fixed draw: any block of Gaussian columns spans a generic gradient's range, and the steps stay reproducible.
        using var generator = new Generator(0x5EED);
        var block = randn([x.shape[0], x.shape[2], columns], dtype: x.dtype, device: x.device, generator: generator);
        var (q, _) = linalg.qr(x.matmul(block));
        var small = q.transpose(1, 2).matmul(x);
        bool holds = small.square().sum([1L, 2L]).ge(x.square().sum([1L, 2L]).mul(1 - RelativeFloor * RelativeFloor)).all().item<bool>();
        if (!holds)
            return null;
        var (direction, nuclear) = Polar(small);
        return (q.matmul(direction), nuclear);
    }

    // U V^T = (x x^T)^(-1/2) x for x [count, short, long], from the eigenvalues of its Gram matrix (the squared singular
    // values): a slice of rank r gets the r directions it has, and a zero slice none.
    private static (Tensor Direction, double Nuclear) Polar(Tensor x)
    {
        var (values, vectors) = linalg.eigh(x.matmul(x.transpose(1, 2)));
        var kept = values.gt(values.amax([-1L], keepdim: true).mul(RelativeFloor * RelativeFloor));
        var inverseRoots = where(kept, values.clamp_min(double.Epsilon).rsqrt(), zeros_like(values));
        double nuclear = where(kept, values.clamp_min(0).sqrt(), zeros_like(values)).sum().item<double>();
        return (vectors.mul(inverseRoots.unsqueeze(1)).matmul(vectors.transpose(1, 2)).matmul(x), nuclear);
    }
}

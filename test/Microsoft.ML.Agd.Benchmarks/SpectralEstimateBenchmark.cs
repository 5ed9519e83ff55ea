using static TorchSharp.torch;
using Microsoft.ML.Agd.Training;

namespace Microsoft.ML.Agd.Benchmarks;

/// <summary>
/// Section 18: how close the spectral norms that size AGD's steps are to each slice's exact spectral norm (a float64
/// SVD of the same gradient), over the steps of AGD's own training: the library's estimate, and variants that refresh it
/// every k steps and hold each slice's ratio sigma / ||g||_F in between (between refreshes the step is then the
/// published step's two passes).
/// </summary>
internal static class SpectralEstimateBenchmark
{
    private const int Steps = 300, FirstCounted = 10, Batch = 64;
    private static readonly int[] s_refreshEvery = [2, 8], s_refineEvery = [1, 4];

    public static void Run(Report report, LabelledImageSet train, LabelledImageSet test)
    {
        report.Section("18. The spectral estimate's accuracy", $"Each slice's estimate, as it sizes the step (after the clamp to ||g||_F / sqrt(rank) .. ||g||_F), " +
            $"divided by its exact spectral norm (float64 SVD of the same gradient), steps {FirstCounted} to {Steps} of AGD's training with nothing set " +
            $"(batch {Batch}, cross-entropy). A ratio below 1 makes that slice's step larger than the bound's: 1 / ratio times.");
        var rows = new List<IReadOnlyList<string>>();
        foreach (var (name, options) in Networks())
        {
            options.Loss = AgdLoss.CrossEntropy;
            foreach (var (estimator, ratios) in Measure(train, test, options))
            {
                ratios.Sort();
                double Percentile(double p) => ratios[(int)Math.Min(ratios.Count - 1, p * ratios.Count)];
                rows.Add([name, estimator, $"{ratios.Count:N0}", $"{ratios.Average():0.000}", $"{ratios[0]:0.000}", $"{Percentile(0.01):0.000}",
                    $"{ratios.Count(r => r < 0.95) * 100.0 / ratios.Count:0.0} %", $"{ratios[^1]:0.000}", $"{1 / ratios[0]:0.00}x"]);
                Console.WriteLine(string.Join(" | ", rows[^1]));
            }
        }
        report.Table(["network", "estimate", "estimates", "mean ratio", "lowest", "1st percentile", "share below 0.95", "highest", "largest step over the bound's"], rows,
            "The library's estimate: a block B of 8 directions per shape of slice, carried from the previous step; Z = S B and Y = S^T Z, the " +
            "largest ||S^T z|| / ||z|| over z in the span of Z, and Y orthonormalised as the next block. The others: the largest singular value " +
            "of S on a block, after one subspace iteration on this gradient or on a block from earlier gradients. " +
            "Refreshed every k: the library's estimator run every k-th step (its block then k steps old), and in between each slice's spectral norm " +
            "taken as its Frobenius norm times the ratio of the two at the last refresh.");
    }

    private static IEnumerable<(string Name, AgdImageClassificationTrainer.Options Options)> Networks()
    {
        yield return ("FCN depth 3 width 512", new() { Architecture = AgdArchitecture.Fcn });
        yield return ("ResNet-18 base width 8", new() { Architecture = AgdArchitecture.ResNet18, BaseWidth = 8 });
    }

    private static List<(string Estimator, List<double> Ratios)> Measure(LabelledImageSet train, LabelledImageSet test, AgdImageClassificationTrainer.Options options)
    {
        using var harness = new BaselineTraining(train, test, options);
        using var network = harness.InitialNetwork();
        using var optimizer = new AgdOptimizer(network);
        using var library = new SpectralNorms();
        var held = s_refreshEvery.Select(k => new HeldRatio(k)).ToList();
        var lagged = s_refineEvery.Select(k => new BlockVariant(k)).Append(new BlockVariant(1, ritzOnRefined: true)).ToList();
        var estimators = held.Select(h => ($"ratio held, refreshed every {h.Every} steps", (Func<IReadOnlyList<AgdLayer>, double[][], double[][]>)h.Of))
            .Concat(lagged.Select(l => (l.RitzOnRefined ? "largest value on the refined block (three products; the library's until 2026-12-06)" : l.RefineEvery == 1 ? "largest value on the previous step's block (two products)" : $"largest value on a block refined every {l.RefineEvery} steps",
                (Func<IReadOnlyList<AgdLayer>, double[][], double[][]>)l.Of)))
            .Prepend(("the library's: ||S^T z|| / ||z|| on z in S B (two products)", (layers, squares) => library.Of(layers, squares))).ToList();
        var ratios = estimators.Select(e => (e.Item1, new List<double>())).ToList();
        network.train();
        int step = 0;
        while (step < Steps)
            harness.Train.ForEachBatch(Batch, new Generator((ulong)step), CPU, (images, labels) =>
            {
                if (step >= Steps)
                    return;
                optimizer.zero_grad();
                AgdLoss.CrossEntropy.Compute(network.call(images), labels).backward();
                using (no_grad())
                using (NewDisposeScope())
                {
                    var layers = optimizer.Plan.Layers;
                    var squares = CpuStep.SquaredNorms(layers);
                    var exact = layers.Select(Exact).ToList();
                    for (int e = 0; e < estimators.Count; e++)
                    {
                        var estimates = estimators[e].Item2(layers, squares);
                        if (step >= FirstCounted)
                            for (int k = 0; k < layers.Count; k++)
                                if (exact[k] is { } sigmas)
                                    ratios[e].Item2.AddRange(sigmas.Select((s, i) => estimates[k][i] / s).Where(double.IsFinite));
                    }
                }
                optimizer.step();
                step++;
            });
        held.ForEach(h => h.Dispose());
        lagged.ForEach(l => l.Dispose());
        return ratios;
    }

    // Each slice's exact spectral norm in float64, in the order of the step's slices (a convolution's kernel positions); null for an embedding.
    private static double[]? Exact(AgdLayer layer)
    {
        if (layer.IsEmbedding)
            return null;
        var g = layer.Weight.grad!.to(ScalarType.Float64);
        var slices = g.dim() == 2 ? g.unsqueeze(0) : g.permute(2, 3, 0, 1).reshape(-1, g.shape[0], g.shape[1]);
        return linalg.svdvals(slices).select(-1, 0).data<double>().ToArray();
    }

    // Estimates from the largest singular value on a block (its Ritz value): with ritzOnRefined, on this step's block after one
    // subspace iteration on this gradient (B S^T, orth(. S), then . S^T); otherwise on the block that earlier gradients
    // refined (one product, B S^T), the block then refined on this gradient every k-th step (a second product) for the next.
    private sealed class BlockVariant(int refineEvery, bool ritzOnRefined = false) : IDisposable
    {
        private readonly Dictionary<(long, long), Tensor> _blocks = [];
        private readonly Generator _start = new(0);
        private int _step;

        public int RefineEvery => refineEvery;

        public bool RitzOnRefined => ritzOnRefined;

        public double[][] Of(IReadOnlyList<AgdLayer> layers, double[][] squares)
        {
            bool refine = _step++ % refineEvery == 0;
            var result = LayerFactors.FrobeniusNorms(squares);
            foreach (var batch in SpectralNorms.Batches(layers))
            {
                var slices = batch.Slices;
                long width = Math.Min(SpectralNorms.Block, batch.Shape.Columns);
                if (!_blocks.TryGetValue(batch.Shape, out var block))
                {
                    block = SpectralNorms.Orthonormal(randn([slices.shape[0], width, batch.Shape.Columns], generator: _start));
                    for (int i = 0; i < SpectralNorms.FirstIterations; i++)
                        block = SpectralNorms.Orthonormal(block.bmm(slices.transpose(1, 2)).bmm(slices));
                }
                var image = block.bmm(slices.transpose(1, 2));
                if (ritzOnRefined && width < batch.Shape.Columns)
                    image = (block = SpectralNorms.Orthonormal(image.bmm(slices))).bmm(slices.transpose(1, 2));
                var sigmas = linalg.eigvalsh(image.bmm(image.transpose(1, 2))).select(-1, -1).clamp_min(0).sqrt().to(ScalarType.Float64).data<double>().ToArray();
                if (!ritzOnRefined && refine && width < batch.Shape.Columns)
                    block = SpectralNorms.Orthonormal(image.bmm(slices));
                Keep(batch.Shape, block);
                SpectralNorms.Place(result, layers, batch.Layers, sigmas);
            }
            return result;
        }

        private void Keep((long, long) shape, Tensor block)
        {
            var kept = block.detach().clone().DetachFromDisposeScope();
            if (_blocks.Remove(shape, out var old))
                old.Dispose();
            _blocks[shape] = kept;
        }

        public void Dispose()
        {
            foreach (var b in _blocks.Values)
                b.Dispose();
            _start.Dispose();
        }
    }

    // The library's estimator every k-th step, and each slice's sigma / ||g||_F held in between.
    private sealed class HeldRatio(int every) : IDisposable
    {
        private readonly SpectralNorms _spectral = new();
        private double[][]? _ratios;
        private int _step;

        public int Every => every;

        public double[][] Of(IReadOnlyList<AgdLayer> layers, double[][] squares)
        {
            var frobenius = LayerFactors.FrobeniusNorms(squares);
            if (_step++ % every == 0 || _ratios is null)
            {
                var sigmas = _spectral.Of(layers, squares);
                _ratios = sigmas.Zip(frobenius, (s, f) => s.Zip(f, (a, b) => b > 0 ? a / b : 1).ToArray()).ToArray();
                return sigmas;
            }
            return frobenius.Zip(_ratios, (f, r) => f.Zip(r, (a, b) => a * b).ToArray()).ToArray();
        }

        public void Dispose() => _spectral.Dispose();
    }
}

using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Tests.Optim;

/// <summary>The polar step: each slice along U V^T, G from nuclear norms; checked by hand and against float64 SVDs.</summary>
[TestClass]
public class PolarStepTests
{
    [TestMethod]
    public void ThePolarStepWorkedOutByHand()
    {
        // One 2x2 layer, L = 1, s = 1, and a loss linear in the parameters: g_W = [[3, 0], [0, 4]], g_b = [1, 2]. Its polar
        // factor is the identity and its nuclear norm 3 + 4 = 7, so G = 7 and eta = ln((1 + sqrt(29)) / 2) = 1.1542...;
        // W moves by -eta * I (a move of spectral norm eta in every direction), the bias by -eta * g_b / ||g_W||_F = -eta * g_b / 5.
        var linear = nn.Linear(2, 2, hasBias: true);
        using (no_grad())
        {
            linear.weight!.copy_(tensor(new float[,] { { 1, 2 }, { 3, 4 } }));
            linear.bias!.copy_(tensor(new float[] { 0.5f, -0.5f }));
        }
        using var optimizer = new AgdOptimizer(linear) { Norm = AgdStepNorm.Polar };
        linear.weight.mul(tensor(new float[,] { { 3, 0 }, { 0, 4 } })).sum().add(linear.bias.mul(tensor(new float[] { 1, 2 })).sum()).backward();

        double eta = Math.Log((1 + Math.Sqrt(29)) / 2);
        Assert.AreEqual(eta, optimizer.StepEta(), 1e-12);
        CollectionAssert.AreEqual(new[] { (float)(1 - eta), 2f, 3f, (float)(4 - eta) }, linear.weight.data<float>().ToArray(), new FloatTolerance(1e-6f));
        CollectionAssert.AreEqual(new[] { (float)(0.5 - eta / 5), (float)(-0.5 - 2 * eta / 5) }, linear.bias!.data<float>().ToArray(), new FloatTolerance(1e-6f));
    }

    [TestMethod]
    [DataRow(AgdStepNorm.Polar, 7.0)]       // the nuclear norm 3 + 4
    [DataRow(AgdStepNorm.Spectral, 6.25)]   // ||g||_F^2 / ||g||_2 = 25 / 4
    [DataRow(AgdStepNorm.Frobenius, 5.0)]   // ||g||_F
    public void TheSignalShareTakesTheDecreaseOfTheTrueGradientOnly(AgdStepNorm norm, double decrease)
    {
        // The same layer and gradient as worked out above (L = 1, s = 1); with 40 % of the gradient's squared norm expected
        // to be signal, G is 0.4 times the decrease, and eta follows from it.
        var linear = nn.Linear(2, 2, hasBias: false);
        using var optimizer = new AgdOptimizer(AgdPlan.Published(linear)) { Norm = norm, SignalShare = 0.4 };
        linear.weight!.grad = tensor(new float[,] { { 3, 0 }, { 0, 4 } });
        Assert.AreEqual(Math.Log((1 + Math.Sqrt(1 + 4 * 0.4 * decrease)) / 2), optimizer.StepEta(), 1e-6);

        foreach (double wrong in new[] { 0.0, -0.1, 1.5, double.NaN })
        {
            var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => optimizer.SignalShare = wrong);
            StringAssert.Contains(e.Message, "SignalShare must be in (0, 1]");
        }
    }

    [TestMethod]
    [DataRow(40, 60, 5, 40)]      // a batch's gradient of rank 5: too small a matrix for a sketch, its Gram matrix
    [DataRow(60, 40, 60, 40)]     // full rank, taller than wide
    [DataRow(1, 30, 1, 1)]        // a single output: the row over its norm
    [DataRow(300, 200, 32, 40)]   // rank 32 of 200 (a batch of 32): the first sketch, of 40 columns, holds it
    [DataRow(300, 700, 64, 80)]   // rank 64: the first sketch misses some, the second holds it
    [DataRow(200, 300, 100, 200)] // rank 100: no sketch of at most half the shorter side holds it; the Gram matrix does
    public void TheDirectionAndNuclearNormAreThoseOfTheSingularValueDecomposition(int rows, int columns, int rank, int sketchNeeded)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(31);
        var g = randn([rows, rank], generator: generator).matmul(randn([rank, columns], generator: generator));
        var (u, s, vh) = linalg.svd(g.to(float64), fullMatrices: false);
        var kept = s.gt(s.max().mul(1e-6)).to(float64);
        var expected = u.mul(kept).matmul(vh);

        long sketch = PolarStep.FirstSketch;
        var (direction, nuclear) = PolarStep.Of(g, isEmbedding: false, ref sketch);
        Assert.AreEqual(sketchNeeded, sketch, "the sketch that held the gradient, or its shorter side");
        Assert.AreEqual(ScalarType.Float32, direction.dtype);
        Assert.IsTrue(direction.to(float64).sub(expected).norm().item<double>() < 1e-5 * expected.norm().item<double>(), "U V^T");
        double expectedNuclear = s.mul(kept).sum().item<double>(); // the float32 rounding's tiny singular values left out, as they are there
        Assert.AreEqual(expectedNuclear, nuclear, 1e-9 * expectedNuclear, "the nuclear norm: the sum of the singular values");
        Assert.AreEqual(Math.Sqrt(Math.Min(rank, Math.Min(rows, columns))), direction.to(float64).norm().item<double>(), 1e-5, "every kept singular value is one");
    }

    [TestMethod]
    public void AConvolutionMovesEachKernelPositionByItsOwnPolarFactor()
    {
        using var scope = NewDisposeScope();
        var g = randn([6, 4, 3, 3], generator: new Generator(32));
        long sketch = PolarStep.FirstSketch;
        var (direction, nuclear) = PolarStep.Of(g, isEmbedding: false, ref sketch);
        double total = 0;
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
            {
                var (u, s, vh) = linalg.svd(g[.., .., i, j].to(float64), fullMatrices: false);
                total += s.sum().item<double>();
                Assert.IsTrue(direction[.., .., i, j].to(float64).sub(u.matmul(vh)).norm().item<double>() < 1e-5, $"position {i}, {j}");
            }
        Assert.AreEqual(total, nuclear, 1e-9 * total);
    }

    [TestMethod]
    public void AnEmbeddingMovesEachRowByItsOwnNorm()
    {
        var g = tensor(new float[,] { { 3, 4 }, { 0, 0 }, { 0, 2 } });
        long sketch = PolarStep.FirstSketch;
        var (direction, nuclear) = PolarStep.Of(g, isEmbedding: true, ref sketch);
        CollectionAssert.AreEqual(new[] { 0.6f, 0.8f, 0f, 0f, 0f, 1f }, direction.data<float>().ToArray(), new FloatTolerance(1e-7f));
        Assert.AreEqual(5 + 0 + 2, nuclear, 1e-12, "a zero row moves nothing, never NaN");
    }

    [TestMethod]
    public void AZeroGradientMovesNothingAndANonFiniteOneIsRefused()
    {
        var linear = nn.Linear(3, 2, hasBias: false);
        var before = linear.weight!.detach().clone();
        using var optimizer = new AgdOptimizer(linear) { Norm = AgdStepNorm.Polar };
        linear.weight.grad = zeros_like(linear.weight);
        Assert.AreEqual(0, optimizer.StepEta());
        Assert.IsTrue(TensorAssert.Same(before, linear.weight.detach()));

        linear.weight.grad = full_like(linear.weight, double.NaN);
        var e = Assert.ThrowsExactly<TrainingDivergedException>(() => optimizer.step());
        StringAssert.Contains(e.Message, "a gradient holds NaN or infinity");
        Assert.IsTrue(TensorAssert.Same(before, linear.weight.detach()), "nothing moved");
    }

    [TestMethod]
    public void ForAGradientOfRankOneThePolarStepIsThePublishedOne()
    {
        // One example through a linear layer: g = d x^T, whose singular value is its Frobenius norm and whose polar
        // factor is g / ||g||_F, as the paper's step takes it.
        var (published, polar) = (TwoLayers(), TwoLayers());
        var input = randn([1, 5], generator: new Generator(34));
        foreach (var (network, norm) in new[] { (published, AgdStepNorm.Frobenius), (polar, AgdStepNorm.Polar) })
        {
            using var optimizer = new AgdOptimizer(AgdPlan.Published(network)) { Norm = norm };
            network.call(input).square().sum().backward();
            optimizer.step();
        }
        foreach (var (a, b) in published.parameters().Zip(polar.parameters()))
            Assert.IsTrue(a.detach().sub(b.detach()).abs().max().item<float>() < 1e-6, "the same weights");
    }

    [TestMethod]
    [DataRow(2)]
    [DataRow(3)]
    public void RanksShareTheFactorisationsOutAndStepAsOneProcess(int size)
    {
        // Three linear layers and a convolution with the same gradients on every rank: each rank factorises its layers, the
        // exchange hands every rank every direction, and all step as one process does (the directions arrive as computed).
        static float[] Step(RankShare? ranks)
        {
            using var scope = NewDisposeScope();
            // Weights and input from a generator of their own: libtorch's default one is the process's, which other tests draw from.
            var generator = new Generator(5);
            var network = nn.Sequential(nn.Conv2d(2, 6, 3, padding: 1), nn.Flatten(), nn.Linear(6 * 16, 40), nn.ReLU(), nn.Linear(40, 30), nn.ReLU(), nn.Linear(30, 4));
            using (no_grad())
                foreach (var p in network.parameters())
                    p.copy_(randn(p.shape, generator: generator).mul(0.2));
            var input = randn([8, 2, 4, 4], generator: generator);
            using var optimizer = new AgdOptimizer(network) { Norm = AgdStepNorm.Polar, Ranks = ranks };
            network.call(input).square().sum().backward();
            optimizer.step();
            return WeightsAssert.Of(network);
        }
        var alone = Step(null);
        var ranks = ThreadRanks.Run(size, r =>
        {
            using var share = new RankShare(r, CancellationToken.None);
            return Step(share);
        });
        foreach (var weights in ranks)
            CollectionAssert.AreEqual(alone, weights, new FloatTolerance(1e-6f), "Every rank steps as one process.");
        // Costs 200^2 x 300, 100^2 x 200 and 10^2 x 100: the costliest to rank 0, the next to rank 1, the last to the rank with less work.
        var owners = PolarStep.Owners(AgdPlan.Published(nn.Sequential(nn.Linear(300, 200), nn.Linear(200, 100), nn.Linear(100, 10))).Layers, 2);
        CollectionAssert.AreEqual(new[] { 0, 1, 1 }, owners);
    }

    private static Sequential TwoLayers()
    {
        manual_seed(33);
        return nn.Sequential(nn.Linear(5, 4, hasBias: false), nn.ReLU(), nn.Linear(4, 3, hasBias: false));
    }
}

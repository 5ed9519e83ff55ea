using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Tests.Optim;

/// <summary>
/// The polar step of a linear layer from its gradient's factors, G = D^T A: against float64 SVDs, against the step from
/// the gradient itself, and stepped from the gradient wherever the factors do not make it.
/// </summary>
[TestClass]
public class LinearFactorsTests
{
    [TestMethod]
    [DataRow(6, 20, 30, false)] // six rows of full rank
    [DataRow(6, 30, 20, true)]  // three rows repeated: rank 3, and three directions with no singular value
    public void ThePolarFactorFromFactorsIsTheFloat64SvdsOfTheirProduct(int rows, int outputs, int inputs, bool repeated)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(7);
        var d = randn([rows, outputs], dtype: float64, generator: generator);
        var a = randn([rows, inputs], dtype: float64, generator: generator);
        if (repeated)
            (d, a) = (cat([d.narrow(0, 0, 3), d.narrow(0, 0, 3)]), cat([a.narrow(0, 0, 3), a.narrow(0, 0, 3).mul(2)]));
        var (u, s, vh) = linalg.svd(d.t().matmul(a), fullMatrices: false);
        var kept = s.gt(s.max().mul(1e-6));
        var expected = u.mul(kept).matmul(vh);

        var (direction, nuclear) = PolarStep.FromFactors(d, a, 1, ScalarType.Float64);

        Assert.AreEqual(repeated ? 3 : rows, kept.sum().item<long>());
        Assert.AreEqual(s.mul(kept).sum().item<double>(), nuclear, 1e-10 * nuclear);
        Assert.IsTrue(direction.sub(expected).abs().max().item<double>() < 1e-10, "U V^T as the SVD of D^T A gives it.");
    }

    [TestMethod]
    public void ALinearNetworkStepsFromItsFactorsAsFromItsGradient()
    {
        // Two copies of one network: the optimizer made for the network keeps its linear layers' factors (from its first step
        // on, for the second), the one made for its plan cannot. Six rows a step, the last two steps in two backward passes
        // of three rows, as the training step's halves are: the 32x40 and 24x32 layers step from six rows' factors, the 5x24
        // output layer (six rows are more than half its 5 outputs) from its gradient. Every weight as the gradient's step.
        var (factored, plain) = (Network(), Network());
        using var withFactors = new AgdOptimizer(factored) { Norm = AgdStepNorm.Polar };
        using var withoutFactors = new AgdOptimizer(AgdPlan.Of(plain)) { Norm = AgdStepNorm.Polar };
        var generator = new Generator(11);
        for (int step = 0; step < 4; step++)
        {
            using var scope = NewDisposeScope();
            var (input, labels) = (randn([6, 40], generator: generator), randint(0, 5, [6], generator: generator));
            foreach (var (network, optimizer) in new[] { (factored, (optim.Optimizer)withFactors), (plain, withoutFactors) })
            {
                optimizer.zero_grad();
                foreach (var (first, count) in step < 2 ? new[] { (0L, 6L) } : [(0L, 3L), (3L, 3L)])
                    nn.functional.cross_entropy(network.call(input.narrow(0, first, count)), labels.narrow(0, first, count)).div(6.0 / count).backward();
                optimizer.step();
            }
            Assert.AreEqual(step == 0 ? 0 : 2, withFactors.FactoredLayers, $"step {step}");
            CollectionAssert.AreEqual(WeightsAssert.Of(plain), WeightsAssert.Of(factored), new FloatTolerance(1e-5f), $"step {step}");
        }
    }

    [TestMethod]
    public void AGradientThatIsNotAMultipleOfItsFactorsProductIsSteppedFromItself()
    {
        // After a first step (the factors are kept from the second on): a gradient clipped value by value after backward,
        // the gradients of two batches accumulated over a zero_grad the optimizer did not make, and a step after the forward
        // pass's dispose scope has ended step from the gradient; a gradient scaled as a whole (as clipping by its norm
        // does) and a forward pass no backward pass reached still step from the factors.
        var cases = new (string Name, Action<Sequential, Tensor> Backward, int Factored)[]
        {
            ("clipped", (n, x) => { Loss(n, x).backward(); foreach (var p in n.parameters()) Clip(p.grad!); }, 0),
            ("scaled", (n, x) => { Loss(n, x).backward(); foreach (var p in n.parameters()) p.grad!.mul_(0.5); }, 2),
            ("zeroed by the network", (n, x) => { Loss(n, x.mul(2)).backward(); n.zero_grad(); Loss(n, x).backward(); }, 0),
            ("scope ended", (n, x) => { using (NewDisposeScope()) Loss(n, x).backward(); }, 0),
            ("a forward pass without backward", (n, x) => { n.call(x.mul(3)); Loss(n, x).backward(); }, 2),
        };
        foreach (var (name, backward, factored) in cases)
        {
            var (network, plain) = (Network(), Network());
            using var withFactors = new AgdOptimizer(network) { Norm = AgdStepNorm.Polar };
            using var withoutFactors = new AgdOptimizer(AgdPlan.Of(plain)) { Norm = AgdStepNorm.Polar };
            var input = randn([6, 40], generator: new Generator(13));
            foreach (var (n, optimizer) in new[] { (network, (optim.Optimizer)withFactors), (plain, withoutFactors) })
                for (int step = 0; step < 2; step++)
                {
                    optimizer.zero_grad();
                    using var scope = NewDisposeScope();
                    backward(n, input);
                    optimizer.step();
                }
            Assert.AreEqual(factored, withFactors.FactoredLayers, name);
            CollectionAssert.AreEqual(WeightsAssert.Of(plain), WeightsAssert.Of(network), new FloatTolerance(1e-5f), name);
        }
    }

    [TestMethod]
    public void RanksGatherTheirRowsAndStepFromAllRowsFactorsAsOneProcess()
    {
        // Two thread ranks, each with three of a batch's six rows: each keeps its rows' factors, the gradients are summed,
        // the rows gathered, and every rank steps the hidden layers from all six rows' factors, as one process does.
        var generator = new Generator(17);
        var batches = Enumerable.Range(0, 3).Select(_ => randn([6, 40], generator: generator)).ToList();
        (float[] Weights, int[] Factored) Steps(AgdCommunicator? ranks)
        {
            var network = Network();
            using var share = ranks is null ? null : new RankShare(ranks, CancellationToken.None);
            using var optimizer = new AgdOptimizer(network) { Norm = AgdStepNorm.Polar, Ranks = share };
            var factored = new List<int>();
            foreach (var batch in batches)
            {
                using var scope = NewDisposeScope();
                optimizer.zero_grad();
                var (start, count) = share?.Of(0, 6) ?? (0, 6);
                Loss(network, batch.narrow(0, start, count)).mul(count / 6.0).backward();
                share?.Exchange([.. network.parameters().Select(p => p.grad!)], []);
                optimizer.step();
                factored.Add(optimizer.FactoredLayers);
            }
            return (WeightsAssert.Of(network), [.. factored]);
        }
        var alone = Steps(null);
        CollectionAssert.AreEqual(new[] { 0, 2, 2 }, alone.Factored);
        foreach (var (weights, factored) in ThreadRanks.Run(2, Steps))
        {
            CollectionAssert.AreEqual(alone.Factored, factored, "Every rank steps the hidden layers from the gathered factors.");
            CollectionAssert.AreEqual(alone.Weights, weights, new FloatTolerance(1e-5f), "Every rank steps as one process.");
        }
    }

    private static Tensor Loss(Sequential network, Tensor input) => network.call(input).square().mean();

    // Every value within a quarter of the largest.
    private static void Clip(Tensor gradient)
    {
        double limit = gradient.abs().max().item<float>() / 4;
        gradient.clamp_(-limit, limit);
    }

    private static Sequential Network()
    {
        var generator = new Generator(5);
        var network = nn.Sequential(nn.Linear(40, 32), nn.ReLU(), nn.Linear(32, 24), nn.ReLU(), nn.Linear(24, 5));
        using (no_grad())
            foreach (var p in network.parameters())
                p.copy_(randn(p.shape, generator: generator).mul(0.2));
        return network;
    }
}

using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Tests.Optim;

/// <summary>
/// A network written with TorchSharp's own modules gets, from one traced forward pass, the depth its Block description
/// gives: nanoGPT ported as a user ports it, against the library's Gpt; a residual MLP against its closed form; a
/// Sequential stays in series. The optimizer reads it by itself from the network's first forward pass.
/// </summary>
[TestClass]
public class TracedDepthTests
{
    [TestMethod]
    [DataRow(1)]
    [DataRow(4)]
    public void NanoGptOfPlainModulesGetsTheDepthOfTheLibrarysGpt(int layers)
    {
        using var plain = new PlainGpt(65, 16, layers, heads: 4, width: 32);
        var counted = AgdPlan.Of(plain);
        Assert.IsTrue(counted.CountedInSeries);
        Assert.AreEqual(2 + 6 * layers + 1, counted.Depth, "today's reading: every layer in series");

        var traced = AgdPlan.Of(plain, randint(0, 65, [3, 16]));
        using var gpt = new Gpt(65, 16, layers, heads: 4, width: 32);
        Assert.AreEqual(AgdPlan.Of(gpt).Depth, traced.Depth, 1e-9, "the Block's description, read by DepthOps");
        Assert.IsFalse(traced.CountedInSeries);
        Assert.IsFalse(traced.Describe().Contains("Note:", StringComparison.Ordinal), traced.Describe());
        Assert.IsTrue(plain.training, "the trace puts the training mode back");
    }

    [TestMethod]
    public void AResidualMlpGetsItsClosedFormAndASequentialStaysInSeries()
    {
        using var mlp = new ResidualMlp(20, 16, blocks: 5, classes: 3);
        // The rules in float64: the first layer at depth 1 and power 1; a block h + W2 relu(W1 h) adds a branch of depth
        // d + 2 and power p / 2, and the sum is their norm-weighted mean; the output layer adds 1.
        double d = 1, p = 1;
        for (int b = 0; b < 5; b++)
            (d, p) = ((Math.Sqrt(p) * d + Math.Sqrt(p / 2) * (d + 2)) / (Math.Sqrt(p) + Math.Sqrt(p / 2)), p + p / 2);
        Assert.AreEqual(d + 1, AgdPlan.Of(mlp, randn(8, 20)).Depth, 1e-9);
        Assert.AreEqual(12, AgdPlan.Of(mlp).Depth, "without an example: in series");

        using var sequential = nn.Sequential(nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3));
        Assert.AreEqual(3, AgdPlan.Of(sequential, randn(8, 20)).Depth);
    }

    [TestMethod]
    public void TheOptimizerOfAPlainGptReadsItsDepthAtTheFirstStepAndStepsAsWithAnExample()
    {
        var ids = randint(0, 65, [3, 16]);
        using var undeclared = new PlainGpt(65, 16, 2, heads: 4, width: 32);
        using var withExample = new PlainGpt(65, 16, 2, heads: 4, width: 32);
        using (no_grad()) // the same weights: copied, since other tests draw from the process's generator meanwhile
            foreach (var (a, b) in undeclared.parameters().Zip(withExample.parameters()))
                b.copy_(a);
        using var optimizer = new AgdOptimizer(undeclared);
        using var reference = new AgdOptimizer(AgdPlan.Of(withExample, ids));
        Assert.IsTrue(optimizer.Plan.CountedInSeries, "before any forward pass the layers are counted in series");

        for (int step = 0; step < 3; step++)
        {
            foreach (var (network, opt) in new (nn.Module<Tensor, Tensor>, AgdOptimizer)[] { (undeclared, optimizer), (withExample, reference) })
            {
                opt.zero_grad();
                using (NewDisposeScope())  // the first input outlives the scope it was made in
                    nn.functional.cross_entropy(network.call(ids).view(-1, 65), ids.view(-1)).backward();
                opt.step();
            }
            Assert.AreEqual(reference.Plan.Depth, optimizer.Plan.Depth, 1e-12);
            Assert.AreEqual(reference.LastEta, optimizer.LastEta, 1e-12, $"step {step}");
        }
        Assert.IsFalse(optimizer.Plan.CountedInSeries);
        Assert.IsTrue(optimizer.Plan.Depth < 2 + 6 * 2 + 1, "branches read, not counted in series");
        foreach (var ((name, a), b) in undeclared.named_parameters().Zip(withExample.parameters()))
            Assert.IsTrue(a.equal(b).all().item<bool>(), name);
    }

    [TestMethod]
    public void TheOptimizerOfASequentialKeepsItsSeriesDepthAndHooksNothing()
    {
        using var sequential = nn.Sequential(nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 3));
        using var optimizer = new AgdOptimizer(sequential);
        sequential.call(randn(8, 20)).square().sum().backward();
        optimizer.step();
        Assert.AreEqual(2, optimizer.Plan.Depth);
    }

    [TestMethod]
    public void ANetworkTheTraceCannotFollowIsNamedWithWhatToDo()
    {
        using var network = new WithTwoInputLeaf();
        foreach (var plan in new[] { new AgdOptimizer(network).Plan, AgdPlan.Of(network, randn(4, 8)) })
        {
            Assert.IsTrue(plan.CountedInSeries);
            Assert.AreEqual(3, plan.Depth);
            StringAssert.Contains(plan.Describe(), "could not read this module's forward pass (its module 'mix' (Mixer) does not map one tensor to one)");
            StringAssert.Contains(plan.Describe(), "write it as a Block");
        }
    }

    // A leaf module of two inputs: hooks of one tensor cannot follow it.
    private sealed class WithTwoInputLeaf : nn.Module<Tensor, Tensor>
    {
        private readonly Linear first, last;
        private readonly Mixer mix;

        public WithTwoInputLeaf() : base(nameof(WithTwoInputLeaf))
        {
            (first, mix, last) = (nn.Linear(8, 8), new Mixer(), nn.Linear(8, 2));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => last.call(mix.call(first.call(x), x));
    }

    private sealed class Mixer : nn.Module<Tensor, Tensor, Tensor>
    {
        private readonly Parameter weight = new(randn(8, 8));

        public Mixer() : base(nameof(Mixer)) => RegisterComponents();

        public override Tensor forward(Tensor a, Tensor b) => a.mm(weight) + b;
    }

    // nanoGPT written with TorchSharp's own modules and functions, as a user ports it from PyTorch.
    private sealed class PlainGpt : nn.Module<Tensor, Tensor>
    {
        private readonly Embedding tokens, positions;
        private readonly ModuleList<PlainBlock> blocks;
        private readonly LayerNorm norm;
        private readonly Linear head;

        public PlainGpt(int vocabulary, int context, int layers, int heads, int width) : base(nameof(PlainGpt))
        {
            (tokens, positions) = (nn.Embedding(vocabulary, width), nn.Embedding(context, width));
            blocks = new ModuleList<PlainBlock>([.. Enumerable.Range(0, layers).Select(_ => new PlainBlock(width, heads))]);
            (norm, head) = (nn.LayerNorm(width), nn.Linear(width, vocabulary, hasBias: false));
            RegisterComponents();
        }

        public override Tensor forward(Tensor ids)
        {
            var x = tokens.call(ids) + positions.call(arange(ids.shape[1], dtype: ScalarType.Int64));
            foreach (var block in blocks)
                x = block.call(x);
            return head.call(norm.call(x));
        }
    }

    private sealed class PlainBlock : nn.Module<Tensor, Tensor>
    {
        private readonly LayerNorm first, second;
        private readonly Linear query, key, value, output, expand, contract;
        private readonly int heads;

        public PlainBlock(int width, int heads) : base(nameof(PlainBlock))
        {
            (first, second) = (nn.LayerNorm(width), nn.LayerNorm(width));
            (query, key, value, output) = (nn.Linear(width, width, hasBias: false), nn.Linear(width, width, hasBias: false), nn.Linear(width, width, hasBias: false), nn.Linear(width, width, hasBias: false));
            (expand, contract) = (nn.Linear(width, 4 * width, hasBias: false), nn.Linear(4 * width, width, hasBias: false));
            this.heads = heads;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var h = first.call(x);
            long b = h.shape[0], t = h.shape[1], c = h.shape[2];
            Tensor Heads(Tensor v) => v.view(b, t, heads, c / heads).transpose(1, 2);
            var attended = nn.functional.scaled_dot_product_attention(Heads(query.call(h)), Heads(key.call(h)), Heads(value.call(h)), is_casual: true);
            x = x + output.call(attended.transpose(1, 2).contiguous().view(b, t, c));
            return x + contract.call(nn.functional.gelu(expand.call(second.call(x))));
        }
    }

    private sealed class ResidualMlp : nn.Module<Tensor, Tensor>
    {
        private readonly Linear input, output;
        private readonly ModuleList<Linear> first, second;

        public ResidualMlp(int inputs, int width, int blocks, int classes) : base(nameof(ResidualMlp))
        {
            (input, output) = (nn.Linear(inputs, width, hasBias: false), nn.Linear(width, classes, hasBias: false));
            first = new ModuleList<Linear>([.. Enumerable.Range(0, blocks).Select(_ => nn.Linear(width, width, hasBias: false))]);
            second = new ModuleList<Linear>([.. Enumerable.Range(0, blocks).Select(_ => nn.Linear(width, width, hasBias: false))]);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var h = input.call(x);
            for (int i = 0; i < first.Count; i++)
                h = h + second[i].call(nn.functional.relu(first[i].call(h)));
            return output.call(h);
        }
    }
}

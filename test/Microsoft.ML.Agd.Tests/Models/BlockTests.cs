using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Tests.Models;

/// <summary>A block is described once: its forward, its ONNX export and its AGD layers all follow from Compute.</summary>
[TestClass]
public class BlockTests
{
    // A user's own block, as a new kind costs: a pre-norm residual MLP, x + W2 relu(W1 norm(x)), then a classifier.
    private sealed class ResidualMlp : Block
    {
        private readonly LayerNorm norm;
        private readonly Linear up, down, classifier;

        public ResidualMlp(int width, int classes) : base(nameof(ResidualMlp))
        {
            norm = nn.LayerNorm(width);
            up = nn.Linear(width, 2 * width, hasBias: false);
            down = nn.Linear(2 * width, width, hasBias: false);
            classifier = nn.Linear(width, classes);
            RegisterComponents();
        }

        public override T Compute<T>(IBlockOps<T> ops, T input)
        {
            var x = ops.Flatten(input);
            var branch = ops.Apply(down, ops.Relu(ops.Apply(up, ops.Apply(norm, x))));
            return ops.Apply(classifier, ops.Add(x, branch));
        }
    }

    [TestMethod]
    public void AUsersBlockRunsExportsAndGroupsFromItsOneDescription()
    {
        torch.manual_seed(4);
        var block = new ResidualMlp(16, 3);
        using (no_grad())
            foreach (var p in block.parameters())
                p.add_(randn_like(p) * 0.1); // away from LayerNorm's ones and zeros, so every term shows

        // forward: x + down(relu(up(norm(x)))), then the classifier, computed here by hand
        using var images = randn(5, 1, 4, 4);
        var x = images.flatten(1);
        var byHand = block.named_children().ToDictionary(c => c.name, c => (nn.Module<Tensor, Tensor>)c.module);
        var expected = byHand["classifier"].call(x + byHand["down"].call(nn.functional.relu(byHand["up"].call(byHand["norm"].call(x)))));
        Assert.IsTrue(TensorAssert.Same(expected, block.call(images)));

        Onnx.ModuleExportTests.AssertOnnxAgrees(block, new AgdImageShape(1, 4, 4), 3);

        // The norm feeds 'up' (it is the first layer to read it), though it is registered before every layer.
        CollectionAssert.AreEqual(new[]
        {
            "AGD layers: 3 in all, L = 1.8284 (branches add to a stream)",
            "  1. up.weight [32, 16] s = 1.4142 with norm.weight (scale), norm.bias",
            "  2. down.weight [16, 32] s = 0.7071",
            "  3. classifier.weight [3, 16] s = 0.433 with classifier.bias",
        }, AgdPlan.Of(block).Describe().Split(Environment.NewLine));
    }

    // x, then blocks x + down(relu(up(x))) without normalisation, then a classifier.
    private sealed class ResidualStack : Block
    {
        private readonly TorchSharp.Modules.ModuleList<Linear> ups = new(), downs = new();
        private readonly Linear classifier;

        public ResidualStack(int blocks, int width, int classes) : base(nameof(ResidualStack))
        {
            for (int b = 0; b < blocks; b++)
            {
                ups.Add(nn.Linear(width, width, hasBias: false));
                downs.Add(nn.Linear(width, width, hasBias: false));
            }
            classifier = nn.Linear(width, classes, hasBias: false);
            RegisterComponents();
        }

        public override T Compute<T>(IBlockOps<T> ops, T input)
        {
            var x = ops.Flatten(input);
            for (int b = 0; b < ups.Count; b++)
                x = ops.Add(x, ops.Apply(downs[b], ops.Relu(ops.Apply(ups[b], x))));
            return ops.Apply(classifier, x);
        }
    }

    [TestMethod]
    public void BranchesAddToTheDepthByTheirShareOfTheStream()
    {
        // Worked by hand. A branch up-relu-down has depth 2 more than its input and half its power (relu halves it, the
        // layers keep it), so every sum weighs stream : branch as 1 : sqrt(1/2) in norm: the stream's depth D becomes
        // (D + sqrt(1/2) (D + 2)) / (1 + sqrt(1/2)) = D + 2 (sqrt(2) - 1), with the power ratio 2 : 1 again. With B blocks
        // and the classifier, L = 2 B (sqrt(2) - 1) + 1, where the same layers in series would count 2 B + 1.
        for (int blocks = 1; blocks <= 4; blocks++)
        {
            var optimizer = new AgdOptimizer(new ResidualStack(blocks, 8, 3));
            Assert.AreEqual(2 * blocks + 1, optimizer.Plan.Layers.Count);
            Assert.AreEqual(2 * blocks * (Math.Sqrt(2) - 1) + 1, optimizer.Plan.Depth, 1e-12, $"{blocks} blocks");
        }
        // A normalisation resets a value's power to 1: the residual MLP above weighs its branch 1 : sqrt(1/2) the same way.
        Assert.AreEqual(2 * Math.Sqrt(2) - 1, AgdPlan.Of(new ResidualMlp(16, 3)).Depth, 1e-12);
    }

    [TestMethod]
    public void NetworksInSeriesKeepThePublishedDepth()
    {
        Assert.AreEqual(5.0, AgdPlan.Of(new StandardizedNetwork(new Fcn(64, 32, 5, 3), [0.0], [1.0])).Depth);
        var sequential = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3));
        Assert.AreEqual(2.0, AgdPlan.Of(new StandardizedNetwork(sequential, [0.0], [1.0])).Depth, "a block holding a user's Sequential");
        Assert.AreEqual(2.0, AgdPlan.Of(sequential).Depth, "a module that is not a block");
    }
}

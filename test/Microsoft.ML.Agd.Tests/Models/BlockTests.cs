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
            "AGD layers: L = 3",
            "  1. up.weight [32, 16] s = 1.4142 with norm.weight (scale), norm.bias",
            "  2. down.weight [16, 32] s = 0.7071",
            "  3. classifier.weight [3, 16] s = 0.433 with classifier.bias",
        }, new AgdOptimizer(block).Describe().Split(Environment.NewLine));
    }
}

using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Tests.Optim;

/// <summary>
/// Layers whose output a batch or instance norm alone reads are scale-invariant: found from the network's description,
/// and their part of G is not reduced by the measured signal share.
/// </summary>
[TestClass]
public class NormalisedLayersTests
{
    private static string[] Normalised(nn.Module network) => [.. AgdPlan.Of(network).Layers.Where(l => l.IsNormalised).Select(l => l.Name)];

    [TestMethod]
    public void AConvolutionThatABatchNormReadsDirectlyIsNormalised()
    {
        var network = nn.Sequential(
            ("conv1", nn.Conv2d(1, 4, 3, padding: 1)), ("norm1", nn.BatchNorm2d(4, affine: false)), ("relu1", nn.ReLU()),
            ("conv2", nn.Conv2d(4, 4, 3, padding: 1, bias: false)), ("norm2", nn.InstanceNorm2d(4)),
            ("conv3", nn.Conv2d(4, 4, 3, padding: 1)), ("relu3", nn.ReLU()), ("norm3", nn.BatchNorm2d(4)),
            ("flatten", nn.Flatten()), ("linear", nn.Linear(4 * 5 * 5, 3)));
        // conv3's output is read by the ReLU first: a bias makes relu(c W x + b) no multiple of relu(W x + b).
        CollectionAssert.AreEqual(new[] { "conv1.weight", "conv2.weight" }, Normalised(network));
        StringAssert.Contains(AgdPlan.Of(network).Describe(), "conv1.weight [4, 1, 3, 3] normalised s = ");
    }

    [TestMethod]
    public void InAPreActivationResNetOnlyTheConvolutionsANormAloneReadsAreNormalised()
    {
        var network = new PreActResNet(18, classes: 3, inputChannels: 1, baseWidth: 4);
        var layers = AgdPlan.Of(network).Layers;
        // Each unit's first convolution feeds its second norm only; the second convolution, the shortcuts and the stem meet
        // a residual sum (the stem's output is also the first unit's identity shortcut), the classifier is the output.
        var expected = layers.Where(l => l.Name.Contains(".convs.0.")).Select(l => l.Name).ToArray();
        Assert.AreEqual(8, expected.Length);
        CollectionAssert.AreEqual(expected, Normalised(network));
    }

    [TestMethod]
    public void AFullyConnectedNetworkOrAModuleOfTheUsersOwnKindHasNone()
    {
        Assert.AreEqual(0, Normalised(new Fcn(12, 8, 3, 4)).Length);
        Assert.AreEqual(0, Normalised(new OwnKind()).Length);
    }

    [TestMethod]
    [DataRow(AgdStepNorm.Polar)]
    [DataRow(AgdStepNorm.Spectral)]
    public void ANormalisedLayersPartOfGIsNotReducedByTheSignalShare(AgdStepNorm norm)
    {
        // conv (normalised) -> batch norm -> flatten -> linear (the output). With gradients set by hand and a share of 0.3,
        // G = (s_conv D_conv + 0.3 s_linear D_linear) / L, D the decrease of each layer's step: for the polar step the sum of
        // its slices' singular values, for the spectral one ||g||_F^2 / ||g||_2 per slice; float64 SVDs here.
        var network = nn.Sequential(("conv", nn.Conv2d(2, 3, 3, bias: false)), ("norm", nn.BatchNorm2d(3, affine: false)),
            ("flatten", nn.Flatten()), ("linear", nn.Linear(3 * 2 * 2, 5, hasBias: false)));
        using var optimizer = new AgdOptimizer(network) { Norm = norm, SignalShare = 0.3 };
        var layers = optimizer.Plan.Layers;
        CollectionAssert.AreEqual(new[] { true, false }, layers.Select(l => l.IsNormalised).ToArray());
        var generator = new Generator(7);
        foreach (var layer in layers)
            layer.Weight.grad = randn(layer.Weight.shape, generator: generator);

        double Decrease(Tensor gradient)
        {
            var slices = gradient.dim() == 4 ? gradient.permute(2, 3, 0, 1).reshape(-1, gradient.shape[0], gradient.shape[1]) : gradient.unsqueeze(0);
            var values = linalg.svdvals(slices.to(ScalarType.Float64));
            return norm == AgdStepNorm.Polar ? values.sum().item<double>() : values.square().sum(1).div(values.amax(1)).sum().item<double>();
        }
        double[] decreases = [.. layers.Select(l => l.StepScale * Decrease(l.Weight.grad!))];
        double g = (decreases[0] + 0.3 * decreases[1]) / optimizer.Plan.Depth;
        double everyLayerShared = 0.3 * decreases.Sum() / optimizer.Plan.Depth;
        Assert.IsTrue(g > 1.5 * everyLayerShared, "the test tells the two rules apart");
        Assert.AreEqual(Math.Log((1 + Math.Sqrt(1 + 4 * g)) / 2), optimizer.StepEta(), 2e-3 * Math.Log((1 + Math.Sqrt(1 + 4 * g)) / 2));
    }

    private sealed class OwnKind : nn.Module<Tensor, Tensor>
    {
        private readonly TorchSharp.Modules.Conv2d conv = nn.Conv2d(1, 2, 3);
        private readonly TorchSharp.Modules.BatchNorm2d norm = nn.BatchNorm2d(2);

        public OwnKind() : base(nameof(OwnKind)) => RegisterComponents();

        public override Tensor forward(Tensor input) => norm.call(conv.call(input));
    }
}

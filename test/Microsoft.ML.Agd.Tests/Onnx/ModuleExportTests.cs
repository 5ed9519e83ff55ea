using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp.Modules;
using Tensor = TorchSharp.torch.Tensor;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Tests.Onnx;

[TestClass]
public class ModuleExportTests
{
    // ONNX Runtime's scores for images against TorchSharp's softmax of the network, in evaluation mode.
    internal static void AssertOnnxAgrees(nn.Module<Tensor, Tensor> network, AgdImageShape shape, int classes, int seed = 3)
    {
        network.eval();
        var bytes = OnnxExport.Export(network, shape, Enumerable.Range(0, classes).Select(k => $"c{k}").ToList(), "features");
        using var session = new InferenceSession(bytes);
        torch.manual_seed(seed);
        using var images = randn(4, shape.Channels, shape.Height, shape.Width);
        using var noGrad = no_grad();
        using var expected = nn.functional.softmax(network.call(images), 1);
        var input = new DenseTensor<float>(images.reshape(4, -1).data<float>().ToArray(), [4, (int)shape.Size]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("features", input)]);
        var scores = results.Single(r => r.Name == "scores").AsTensor<float>().ToArray();
        var want = expected.data<float>().ToArray();
        Assert.AreEqual(want.Length, scores.Length);
        for (int i = 0; i < want.Length; i++)
            Assert.AreEqual(want[i], scores[i], 1e-4, $"score {i}");
    }

    // Parameters and running statistics away from their initial values, so that every term of every layer shows.
    private static void Perturb(nn.Module network)
    {
        using (no_grad())
        {
            network.train();
            for (int i = 0; i < 3; i++)
                ((nn.Module<Tensor, Tensor>)network).call(randn(6, 3, 16, 16));
            using var tenth = 0.1.ToScalar(); // held: an implicit Scalar can be finalized during the native call
            foreach (var p in network.parameters())
                p.add_(randn_like(p), tenth);
        }
    }

    [TestMethod]
    public void ConvolutionsNormsAndPoolsExportAsTheyCompute()
    {
        torch.manual_seed(1);
        var gelu = nn.GELU();
        var network = nn.Sequential(
            ("strided", nn.Conv2d(3, 8, 3, stride: 2, padding: 1, bias: true)),             // 8x8
            ("norm", nn.BatchNorm2d(8)),
            ("leaky", nn.LeakyReLU(0.2)),
            ("dilated", nn.Conv2d(8, 8, 3, padding: 2, dilation: 2, groups: 2, bias: false)),
            ("groups", nn.GroupNorm(4, 8)),
            ("gelu", gelu),
            ("same", nn.Conv2d(8, 8, 3, Padding.Same, bias: true)),
            ("silu", nn.SiLU()),
            ("max", nn.MaxPool2d(3, stride: 1, padding: 1)),
            ("average", nn.AvgPool2d(2, stride: 2, count_include_pad: false)),           // 4x4
            ("layer", nn.LayerNorm([8, 4, 4])),
            ("tanh", nn.Tanh()),
            ("adaptive", nn.AdaptiveAvgPool2d(2)),                                       // 2x2
            ("flatten", nn.Flatten()),
            ("dropout", nn.Dropout(0.3)),
            ("linear", nn.Linear(32, 16)),
            ("norm1d", nn.BatchNorm1d(16)),
            ("sigmoid", nn.Sigmoid()),
            ("identity", nn.Identity()),
            ("relu", nn.ReLU()),
            ("out", nn.Linear(16, 5)));
        Perturb(network);
        AssertOnnxAgrees(network, new AgdImageShape(3, 16, 16), 5);
    }

    [TestMethod]
    public void TheTanhApproximationOfGeluAndAGlobalPoolExport()
    {
        torch.manual_seed(2);
        var gelu = nn.GELU();
        gelu.approximate = GELU.Approximate.tanh;
        var network = nn.Sequential(nn.Conv2d(3, 4, 3), gelu, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3, hasBias: false));
        Perturb(network);
        AssertOnnxAgrees(network, new AgdImageShape(3, 16, 16), 3);
    }

    /// <summary>A user's own block: x + 0.5 * conv(x), described once.</summary>
    private sealed class HalfResidual : Block
    {
        private readonly Conv2d conv;

        public HalfResidual(long channels) : base(nameof(HalfResidual))
        {
            conv = nn.Conv2d(channels, channels, 3, padding: 1, bias: false);
            RegisterComponents();
        }

        public override T Compute<T>(IBlockOps<T> ops, T x) => ops.Add(x, ops.Scale(ops.Apply(conv, x), 0.5));
    }

    [TestMethod]
    public void AUsersOwnBlockExportsItself()
    {
        torch.manual_seed(3);
        var network = nn.Sequential(nn.Conv2d(3, 4, 3, padding: 1), new HalfResidual(4), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3));
        Perturb(network);
        AssertOnnxAgrees(network, new AgdImageShape(3, 16, 16), 3);
    }

    /// <summary>A block that computes but cannot export.</summary>
    private sealed class Absolute : nn.Module<Tensor, Tensor>
    {
        public Absolute() : base(nameof(Absolute)) { }
        public override Tensor forward(Tensor x) => x.abs();
    }

    /// <summary>A learnt per-channel gain that no AGD layer owns.</summary>
    private sealed class Gain : nn.Module<Tensor, Tensor>
    {
        private readonly Parameter gamma = nn.Parameter(ones(1));

        public Gain() : base(nameof(Gain)) => RegisterComponents();
        public override Tensor forward(Tensor x) => x.mul(gamma.view(1, -1, 1, 1));
    }

    private static AgdImageClassificationTrainer Custom(Func<AgdImageShape, int, nn.Module<Tensor, Tensor>> factory, List<AgdEpoch> epochs)
        => new MLContext(4).MulticlassClassification.Trainers.Agd(new AgdImageClassificationTrainer.Options
        {
            NetworkFactory = factory, ImageShape = new AgdImageShape(1, 8, 8), NumberOfEpochs = 1, BatchSize = 6,
            Progress = new SynchronousProgress<AgdEpoch>(epochs.Add),
        });

    [TestMethod]
    public void AnUnexportableModuleIsNamedBeforeTheFirstStep()
    {
        var epochs = new List<AgdEpoch>();
        var trainer = Custom((shape, classes) => nn.Sequential(nn.Conv2d(shape.Channels, 4, 3), new Absolute(), nn.Flatten(), nn.Linear(4 * 6 * 6, classes)), epochs);
        var e = Assert.ThrowsExactly<NotSupportedException>(() => trainer.Fit(DataViews.Prepare(new MLContext(5), SyntheticImages.Vectors(4, 8, seed: 6))));
        StringAssert.Contains(e.Message, "Module 'network.1' (Absolute) cannot be exported to ONNX");
        StringAssert.Contains(e.Message, "or write your own part of the network as a Block");
        Assert.AreEqual(0, epochs.Count, "It failed before training.");
    }

    [TestMethod]
    public void AParameterNoLayerOwnsIsNamedBeforeTheFirstStep()
    {
        var epochs = new List<AgdEpoch>();
        var trainer = Custom((shape, classes) => nn.Sequential(new Gain(), nn.Conv2d(shape.Channels, 4, 3), nn.Flatten(), nn.Linear(4 * 6 * 6, classes)), epochs);
        var e = Assert.ThrowsExactly<NotSupportedException>(() => trainer.Fit(DataViews.Prepare(new MLContext(5), SyntheticImages.Vectors(4, 8, seed: 6))));
        StringAssert.Contains(e.Message, "Parameter 'network.0.gamma' belongs to no layer");
        Assert.AreEqual(0, epochs.Count);
    }

    [TestMethod]
    public void AWrongOutputShapeIsNamedBeforeTheFirstStep()
    {
        var trainer = Custom((shape, classes) => nn.Sequential(nn.Conv2d(shape.Channels, 4, 3), nn.Flatten(), nn.Linear(4 * 6 * 6, classes + 1)), []);
        var e = Assert.ThrowsExactly<ArgumentException>(() => trainer.Fit(DataViews.Prepare(new MLContext(5), SyntheticImages.Vectors(4, 8, seed: 6))));
        StringAssert.Contains(e.Message, "returns [2, 4] for a batch of 2 images of shape 1x8x8; it must return [2, 3]");
    }

    [TestMethod]
    public void TheLayerDescriptionOfASmallNetwork()
    {
        var network = nn.Sequential(nn.Conv2d(1, 8, 3, bias: true), nn.BatchNorm2d(8), nn.ReLU(), nn.Flatten(), nn.Linear(288, 4, hasBias: false));
        string expected = string.Join(Environment.NewLine,
            "AGD layers: L = 2",
            "  1. 0.weight [8, 1, 3, 3] normalised s = 0.9428 with 0.bias, 1.weight (scale), 1.bias", // a batch norm alone reads its output
            "  2. 4.weight [4, 288] s = 0.1179");
        Assert.AreEqual(expected, AgdPlan.Of(network).Describe());
    }
}

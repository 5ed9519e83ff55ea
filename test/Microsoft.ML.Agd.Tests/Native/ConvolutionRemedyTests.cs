using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Tests.Native;

[TestClass]
public class ConvolutionRemedyTests
{
    // Right on every CPU: computed in float64 (which libtorch computes without oneDNN), then rounded to float32.
    private static Tensor RightInFloat32(Tensor x, Tensor w, long stride, long padding)
        => ConvolutionSelfTest.LibTorch(x.to(float64), w.to(float64), stride, padding).to(float32);

    [TestMethod]
    public void SelfTestOfRightConvolutionsAsksForNoRemedy()
    {
        var cases = ConvolutionSelfTest.Run(RightInFloat32);
        Assert.IsTrue(cases.All(c => c.Passed), string.Join("; ", cases));
        Assert.IsTrue(cases.All(c => c.OutputError < 1e-6 && c.InputGradientError < 1e-6 && c.WeightGradientError < 1e-6), string.Join("; ", cases));
        Assert.AreEqual(ConvolutionRemedy.None, ConvolutionSelfTest.Decide(cases));
        StringAssert.StartsWith(new ConvolutionCheck(cases, ConvolutionRemedy.None, false).ToString(), $"float32 convolutions passed the self-test ({cases.Count} shapes); no remedy needed.");
    }

    [TestMethod]
    public void SelfTestOfWrongNarrowConvolutionsTurnsOneDnnOff()
    {
        // What the AVX-512 kernels do: NaN or slightly wrong results where a channel count is not a multiple of 16.
        var cases = ConvolutionSelfTest.Run((x, w, stride, padding) =>
        {
            var right = RightInFloat32(x, w, stride, padding);
            return w.shape[0] % 16 == 0 && w.shape[1] % 16 == 0 ? right : w.shape[1] == 4 ? right.mul(double.NaN) : right.mul(1.001);
        });
        var narrow = cases.Where(c => c.Shape.InputChannels % 16 != 0 || c.Shape.OutputChannels % 16 != 0).ToList();
        Assert.IsTrue(narrow.Count >= 3 && narrow.Count < cases.Count, "the test covers both kinds of channel counts");
        CollectionAssert.AreEqual(cases.Select(c => !narrow.Contains(c)).ToList(), cases.Select(c => c.Passed).ToList());
        var nan = cases.Single(c => c.Shape.InputChannels == 4);
        Assert.IsTrue(double.IsPositiveInfinity(nan.OutputError) && double.IsPositiveInfinity(nan.InputGradientError), "NaN counts as an infinite error.");
        // An output 1.001 times too large: its error is 1e-3, and the gradients of sum(output^2) are 1.001^2 times too large.
        var scaled = cases.Single(c => c.Shape.InputChannels == 8);
        Assert.AreEqual(1e-3, scaled.OutputError, 1e-6);
        Assert.AreEqual(1.001 * 1.001 - 1, scaled.InputGradientError, 1e-6);
        Assert.AreEqual(1.001 * 1.001 - 1, scaled.WeightGradientError, 1e-6);
        Assert.AreEqual(ConvolutionRemedy.AllConvolutionsWithoutOneDnn, ConvolutionSelfTest.Decide(cases));
        StringAssert.Contains(new ConvolutionCheck(cases, ConvolutionRemedy.AllConvolutionsWithoutOneDnn, false).ToString(),
            $"wrong for 4->4, 8->8, 12->24 stride 2, 16->4, 24->24 channels (5 of {cases.Count} shapes); remedy: every convolution runs without oneDNN.");
    }

    [TestMethod]
    public void SelfTestOfAWrongAlignedStridedConvolutionTurnsOneDnnOff()
    {
        // One AVX-512 CPU measured computes the input gradient of 48->96 channels at stride 2 wrongly, though both are multiples of 16.
        var cases = ConvolutionSelfTest.Run((x, w, stride, padding) => RightInFloat32(x, w, stride, padding).mul(w.shape[1] == 48 ? 1.01 : 1.0));
        Assert.AreEqual("48->96 stride 2", cases.Single(c => !c.Passed).Shape.ToString());
        Assert.AreEqual(ConvolutionRemedy.AllConvolutionsWithoutOneDnn, ConvolutionSelfTest.Decide(cases));
    }

    [TestMethod]
    public void ThisProcessRanTheSelfTestAndFollowsItsDecision()
    {
        var check = TorchNative.ConvolutionCheck;
        if (!check.Forced)
            Assert.AreEqual(ConvolutionSelfTest.Decide(check.Cases), check.Remedy, check.ToString());
        Assert.IsTrue(LibTorchSwitches.Available, "libtorch must export the switch the remedy needs.");
        Assert.AreEqual(check.Remedy == ConvolutionRemedy.None, LibTorchSwitches.OneDnnEnabled, check.ToString());
    }

    [TestMethod]
    public void WithTheRemedyInForceThisProcessComputesEveryTestedConvolutionRight()
    {
        // libtorch's own float32 kernels, as this process now runs them: on a CPU whose oneDNN is wrong, without it.
        var cases = ConvolutionSelfTest.Run();
        Assert.IsTrue(cases.All(c => c.Passed), $"{TorchNative.ConvolutionCheck}\n{string.Join("\n", cases)}");
    }

    [TestMethod]
    [DataRow(4)]
    [DataRow(8)]
    [DataRow(12)]
    [DataRow(16)]
    public void ResNetOutputsAndGradientsAgreeWithFloat64(int baseWidth)
    {
        using var scope = NewDisposeScope();
        var network = new PreActResNet(18, classes: 10, inputChannels: 3, baseWidth: baseWidth);
        AgdInitialization.Apply(network, new Generator(7));
        var reference = new PreActResNet(18, classes: 10, inputChannels: 3, baseWidth: baseWidth);
        reference.load_state_dict(network.state_dict());
        reference.to(float64);

        var generator = new Generator(13);
        var images = randn([8, 3, 16, 16], generator: generator);
        var labels = randint(0, 10, [8], generator: generator);
        var output = network.call(images);
        AgdLoss.Square.Compute(output, labels).backward();
        var expectedOutput = reference.call(images.to(float64));
        AgdLoss.Square.Compute(expectedOutput, labels).backward();

        Assert.IsTrue(RelativeError(output, expectedOutput) < 1e-5, $"output {RelativeError(output, expectedOutput):E2}");
        var expected = reference.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!);
        foreach (var (name, parameter) in network.named_parameters())
        {
            double error = RelativeError(parameter.grad!, expected[name]);
            Assert.IsTrue(error <= 1e-4, $"base width {baseWidth}: gradient of {name} is {error:E2} from float64 ({TorchNative.ConvolutionCheck}).");
        }
        // Scoring (no gradient, batch statistics kept) too.
        network.eval();
        reference.eval();
        using (no_grad())
            Assert.IsTrue(RelativeError(network.call(images), reference.call(images.to(float64))) < 1e-5);
    }

    private static double RelativeError(Tensor actual, Tensor expected)
        => actual.to(float64).sub(expected.to(float64)).norm().item<double>() / expected.to(float64).norm().item<double>();

    // agd train on tiny data, as a child process with the remedy set and oneDNN printing every primitive it runs; returns
    // how many convolution primitives training ran with oneDNN (the self-test's own, on 12x12 inputs, left out).
    private static int OneDnnConvolutions(string remedy)
    {
        using var data = new TinyData();
        var (_, output) = Packaging.DotNet.Execute(data.Root, [Cli.AgdDll, "train", "--data", data.IdxFolder(), "-a", "resnet18", "--base-width", "4", "-e", "1", "-o", data.Path("model")],
            new Dictionary<string, string> { ["ONEDNN_VERBOSE"] = "1", [TorchNative.RemedyVariable] = remedy });
        return System.Text.RegularExpressions.Regex.Matches(output, @"primitive,exec,cpu,convolution,.*_ih(\d+)").Count(m => m.Groups[1].Value != "12");
    }

    [TestMethod]
    [TestCategory(TestSetup.Integration)]
    [DoNotParallelize] // two child processes that train: they need the cores to themselves to be quick
    public void WithTheRemedyTheTrainerRunsNoConvolutionOnOneDnn()
    {
        if (OneDnnConvolutions("none") == 0)
            Assert.Inconclusive("libtorch runs no convolution on oneDNN on this CPU, so there is nothing for the remedy to take away.");
        Assert.AreEqual(0, OneDnnConvolutions("all"));
    }
}

using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Tests.Native;

[TestClass]
public class ConvolutionRemedyTests
{
    [TestMethod]
    public void SelfTestOfRightGradientsAsksForNoRemedy()
    {
        var cases = ConvolutionSelfTest.Run(ConvolutionSelfTest.InputGradient);
        Assert.IsTrue(cases.All(c => c.Passed), string.Join("; ", cases));
        Assert.IsTrue(cases.Any(c => c.IsBlockAligned) && cases.Any(c => !c.IsBlockAligned), "The test must cover both kinds of channel counts.");
        Assert.AreEqual(ConvolutionRemedy.None, ConvolutionSelfTest.Decide(cases));
    }

    [TestMethod]
    public void SelfTestOfWrongNarrowGradientsGuardsTheNarrowConvolutions()
    {
        // What the AVX-512 kernels do: NaN or slightly wrong input gradients where a channel count is not a multiple of 16.
        var cases = ConvolutionSelfTest.Run((x, w) =>
        {
            var right = ConvolutionSelfTest.InputGradient(x, w);
            return w.shape[0] % 16 == 0 && w.shape[1] % 16 == 0 ? right : w.shape[0] == 4 ? right.mul(double.NaN) : right.mul(1.001);
        });
        CollectionAssert.AreEqual(cases.Select(c => c.IsBlockAligned).ToList(), cases.Select(c => c.Passed).ToList());
        Assert.IsTrue(double.IsPositiveInfinity(cases.Single(c => c.InputChannels == 4).RelativeError), "NaN gradients count as an infinite error.");
        Assert.AreEqual(1e-3, cases.Single(c => c.InputChannels == 8).RelativeError, 1e-6);
        Assert.AreEqual(ConvolutionRemedy.NarrowConvolutionsWithoutOneDnn, ConvolutionSelfTest.Decide(cases));
        StringAssert.Contains(new ConvolutionCheck(cases, ConvolutionRemedy.NarrowConvolutionsWithoutOneDnn, false).ToString(), "wrong for 4->4, 8->8, 12->12, 24->24 channels");
    }

    [TestMethod]
    public void SelfTestOfWrongAlignedGradientsGuardsEveryConvolution()
    {
        var cases = ConvolutionSelfTest.Run((x, w) => ConvolutionSelfTest.InputGradient(x, w).mul(w.shape[0] == 32 ? 1.01 : 1.0));
        Assert.AreEqual(1, cases.Count(c => !c.Passed));
        Assert.AreEqual(ConvolutionRemedy.AllConvolutionsWithoutOneDnn, ConvolutionSelfTest.Decide(cases));
    }

    [TestMethod]
    public void SelfTestPrefersTheCheapestFormThatIsRight()
    {
        static Tensor WrongWhereNarrow(Tensor x, Tensor w)
            => ConvolutionSelfTest.InputGradient(x, w).mul(w.shape[0] % 16 == 0 && w.shape[1] % 16 == 0 ? 1.0 : 1.001);
        var cases = ConvolutionSelfTest.Run(WrongWhereNarrow);
        var asConvolution = ConvolutionSelfTest.Run(ConvolutionSelfTest.InputGradientAsConvolution);
        var padded = ConvolutionSelfTest.Run(ConvolutionSelfTest.PaddedInputGradient);
        Assert.IsTrue(asConvolution.All(c => c.Passed), string.Join("; ", asConvolution));
        Assert.IsTrue(padded.All(c => c.Passed), string.Join("; ", padded));
        var wrong = ConvolutionSelfTest.Run(WrongWhereNarrow);
        (ConvolutionRemedy, Func<IReadOnlyList<ConvolutionCheckCase>>)[] Forms(IReadOnlyList<ConvolutionCheckCase> first, IReadOnlyList<ConvolutionCheckCase> second)
            => [(ConvolutionRemedy.NarrowInputGradientsAsConvolutions, () => first), (ConvolutionRemedy.NarrowConvolutionsPadded, () => second)];

        Assert.AreEqual(ConvolutionRemedy.NarrowInputGradientsAsConvolutions, ConvolutionSelfTest.Decide(cases, Forms(asConvolution, padded)));
        Assert.AreEqual(ConvolutionRemedy.NarrowConvolutionsPadded, ConvolutionSelfTest.Decide(cases, Forms(wrong, padded)));
        // Where both forms are wrong too, the narrow convolutions lose oneDNN instead.
        Assert.AreEqual(ConvolutionRemedy.NarrowConvolutionsWithoutOneDnn, ConvolutionSelfTest.Decide(cases, Forms(wrong, wrong)));
        // The library's own list tries the input gradient as a convolution first.
        Assert.AreEqual(ConvolutionRemedy.NarrowInputGradientsAsConvolutions, ConvolutionSelfTest.Decide(cases, ConvolutionSelfTest.Alternatives));
        StringAssert.Contains(new ConvolutionCheck(cases, ConvolutionRemedy.NarrowConvolutionsPadded, false).ToString(), "padded to 16");
        StringAssert.Contains(new ConvolutionCheck(cases, ConvolutionRemedy.NarrowInputGradientsAsConvolutions, false).ToString(), "input gradients as forward convolutions");
    }

    private static readonly Dictionary<string, Func<Tensor, Tensor, Tensor?, long[], long[], long[], Tensor>> s_forms = new()
    {
        ["padded"] = ChannelPadding.Conv2d,
        ["convolution"] = InputGradientByConvolution.Conv2d,
    };

    [TestMethod]
    [DataRow("padded", 3, 8, 1, 1, 1, 9, true)]
    [DataRow("padded", 8, 8, 2, 1, 1, 9, false)]
    [DataRow("padded", 8, 16, 1, 0, 1, 9, false)]
    [DataRow("padded", 12, 20, 1, 1, 1, 9, true)]
    [DataRow("padded", 16, 32, 1, 1, 1, 9, true)]
    [DataRow("convolution", 3, 8, 1, 1, 1, 9, true)]
    [DataRow("convolution", 8, 8, 2, 1, 1, 9, false)]
    [DataRow("convolution", 8, 16, 2, 1, 1, 10, false)] // the last row and column reached by no window: zero gradient
    [DataRow("convolution", 8, 16, 2, 0, 1, 10, false)] // a 1x1 shortcut of stride 2
    [DataRow("convolution", 12, 20, 1, 1, 1, 9, true)]
    [DataRow("convolution", 5, 7, 1, 2, 2, 9, true)] // dilation 2
    [DataRow("convolution", 5, 7, 3, 0, 2, 11, false)]
    [DataRow("convolution", 16, 32, 1, 1, 1, 9, true)]
    public void RemedyFormComputesWhatTheConvolutionComputes(string form, int inputs, int outputs, int stride, int padding, int dilation, int size, bool bias)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator((ulong)(inputs * 100 + outputs));
        int kernel = padding == 0 && dilation == 1 ? 1 : 3;
        var x = randn([4, inputs, size, size], dtype: float64, generator: generator);
        var w = randn([outputs, inputs, kernel, kernel], dtype: float64, generator: generator);
        var b = bias ? randn([outputs], dtype: float64, generator: generator) : null;
        long side = (size + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1;
        var target = randn([4, outputs, side, side], dtype: float64, generator: generator);
        long[] strides = [stride, stride], paddings = [padding, padding], dilations = [dilation, dilation];

        // Reference: the plain convolution in float64 (libtorch computes it without oneDNN); then the remedy's form in float32.
        var (expected, expectedGradients) = OutputAndGradients((xi, wi, bi) => nn.functional.conv2d(xi, wi, bi, strides, paddings, dilations), x, w, b, target);
        var (actual, actualGradients) = OutputAndGradients((xi, wi, bi) => s_forms[form](xi, wi, bi, strides, paddings, dilations),
            x.to(float32), w.to(float32), b?.to(float32), target.to(float32));

        CollectionAssert.AreEqual(expected.shape, actual.shape);
        Assert.IsTrue(RelativeError(actual, expected) < 1e-5, $"output {RelativeError(actual, expected):E2}");
        foreach (var (name, want, got) in new[] { "input", "weight", "bias" }.Zip(expectedGradients, actualGradients).Where(t => t.Second is not null).Select(t => (t.First, t.Second!, t.Third!)))
        {
            CollectionAssert.AreEqual(want.shape, got.shape, name);
            Assert.IsTrue(RelativeError(got, want) < 1e-5, $"{name} gradient {RelativeError(got, want):E2}");
        }
    }

    private static (Tensor Output, Tensor?[] Gradients) OutputAndGradients(Func<Tensor, Tensor, Tensor?, Tensor> convolution, Tensor x, Tensor w, Tensor? b, Tensor target)
    {
        using var gradients = enable_grad();
        var (xi, wi, bi) = (x.detach().requires_grad_(true), w.detach().requires_grad_(true), b?.detach().requires_grad_(true));
        var output = convolution(xi, wi, bi);
        output.mul(target).sum().backward();
        return (output.detach(), [xi.grad, wi.grad, bi?.grad]);
    }

    // A ResNet with AGD's initial weights, and a float64 copy of it to compare with.
    private static (PreActResNet Network, PreActResNet Reference) WithFloat64Twin(int baseWidth)
    {
        var network = new PreActResNet(18, classes: 10, inputChannels: 3, baseWidth: baseWidth);
        AgdInitialization.Apply(network, new Generator(7));
        var reference = new PreActResNet(18, classes: 10, inputChannels: 3, baseWidth: baseWidth);
        reference.load_state_dict(network.state_dict());
        reference.to(float64);
        return (network, reference);
    }

    // The convolutions whose weight has a channel count that is not a multiple of 16.
    private static List<string> NarrowConvolutions(nn.Module network)
        => network.named_parameters().Where(p => p.parameter.dim() == 4 && (p.parameter.shape[0] % 16 != 0 || p.parameter.shape[1] % 16 != 0))
            .Select(p => p.name[..^".weight".Length]).ToList();

    // Every parameter's gradient within 1e-4 of the float64 twin's, and exactly the narrow convolutions guarded.
    private static void AssertGradientsAgree(PreActResNet network, PreActResNet reference, int baseWidth, IReadOnlyList<string> guarded)
    {
        var expected = reference.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!);
        foreach (var (name, parameter) in network.named_parameters())
        {
            double error = RelativeError(parameter.grad!, expected[name]);
            Assert.IsTrue(error <= 1e-4, $"base width {baseWidth}: gradient of {name} is {error:E2} from float64 (guarded: {string.Join(", ", guarded)}).");
        }
        CollectionAssert.AreEquivalent(NarrowConvolutions(network), guarded.ToList());
    }

    private static double RelativeError(Tensor actual, Tensor expected)
        => actual.to(float64).sub(expected.to(float64)).norm().item<double>() / expected.to(float64).norm().item<double>();

    [TestMethod]
    [DataRow(ConvolutionRemedy.NarrowConvolutionsPadded, 4)]
    [DataRow(ConvolutionRemedy.NarrowConvolutionsPadded, 8)]
    [DataRow(ConvolutionRemedy.NarrowConvolutionsPadded, 12)]
    [DataRow(ConvolutionRemedy.NarrowInputGradientsAsConvolutions, 4)]
    [DataRow(ConvolutionRemedy.NarrowInputGradientsAsConvolutions, 8)]
    [DataRow(ConvolutionRemedy.NarrowInputGradientsAsConvolutions, 12)]
    public void RemedyThatReplacesConvolutionsGivesResNetOutputsAndGradientsThatAgreeWithFloat64(ConvolutionRemedy remedy, int baseWidth)
    {
        using var scope = NewDisposeScope();
        var (network, reference) = WithFloat64Twin(baseWidth);
        var guarded = ConvolutionGuard.Protect(network, remedy);

        var generator = new Generator(13);
        var images = randn([8, 3, 16, 16], generator: generator);
        var labels = randint(0, 10, [8], generator: generator);
        var output = network.call(images);
        AgdLoss.Square.Compute(output, labels).backward();
        var expectedOutput = reference.call(images.to(float64));
        AgdLoss.Square.Compute(expectedOutput, labels).backward();

        Assert.IsTrue(RelativeError(output, expectedOutput) < 1e-5, $"output {RelativeError(output, expectedOutput):E2}");
        AssertGradientsAgree(network, reference, baseWidth, guarded);
        // Scoring (no gradient) runs the convolutions as they were.
        using (no_grad())
            Assert.IsTrue(RelativeError(network.call(images), expectedOutput) < 1e-5);
    }

    [TestMethod]
    [DataRow(ConvolutionRemedy.NarrowConvolutionsPadded)]
    [DataRow(ConvolutionRemedy.NarrowInputGradientsAsConvolutions)]
    public void RemedyThatReplacesConvolutionsLeavesNoTensorBehindATrainingStep(ConvolutionRemedy remedy)
    {
        var network = new PreActResNet(18, classes: 3, inputChannels: 1, baseWidth: 4);
        Assert.IsTrue(ConvolutionGuard.Protect(network, remedy).Count > 1);
        TensorAssert.StepsLeaveNoTensorBehind(network, new AgdOptimizer(network), randn(2, 1, 8, 8));
    }

    [TestMethod]
    public void ThisProcessRanTheSelfTestAndFollowsItsDecision()
    {
        var check = TorchNative.ConvolutionCheck;
        if (!check.Forced)
            Assert.AreEqual(ConvolutionSelfTest.Decide(check.Cases, ConvolutionSelfTest.Alternatives), check.Remedy, check.ToString());
        Assert.IsTrue(LibTorchSwitches.Available, "libtorch must export the switches the remedy needs.");
    }

    [TestMethod]
    [DataRow(4)]
    [DataRow(8)]
    [DataRow(12)]
    [DataRow(16)]
    public void ForcedRemedyGivesResNetGradientsThatAgreeWithFloat64(int baseWidth)
    {
        using var scope = NewDisposeScope();
        var (network, reference) = WithFloat64Twin(baseWidth);
        // Probes right before and right after each convolution see oneDNN's switch as its backward pass begins and ends:
        // the output's probe is registered before the guard's switch (so the switch runs first in the backward pass), the
        // input's after it (so it runs before the switch closes the window).
        var convolutions = network.named_modules().Where(m => m.module is Convolution).Select(m => (m.name, Module: (Convolution)m.module)).ToList();
        foreach (var (name, convolution) in convolutions)
            convolution.register_forward_hook((_, input, output) => input.requires_grad ? OneDnnProbe.apply(output, name) : output);
        var guarded = ConvolutionGuard.Protect(network, ConvolutionRemedy.NarrowConvolutionsWithoutOneDnn);
        foreach (var (name, convolution) in convolutions)
            convolution.register_forward_pre_hook((_, input) => input.requires_grad ? OneDnnProbe.apply(input, name) : input);

        var generator = new Generator(11);
        var images = randn([8, 3, 16, 16], generator: generator);
        var labels = randint(0, 10, [8], generator: generator);
        OneDnnProbe.Seen.Clear();
        AgdLoss.Square.Compute(network.call(images), labels).backward();
        // The stem's input needs no gradient, so its backward pass computes none and needs no window.
        var withGradient = convolutions.Select(c => c.name).Where(n => n != "stem").ToList();
        CollectionAssert.AreEquivalent(withGradient.SelectMany(n => new[] { n, n }).ToList(), OneDnnProbe.Seen.Select(s => s.Name).ToList());
        foreach (var (name, enabled) in OneDnnProbe.Seen)
            Assert.AreEqual(!guarded.Contains(name), enabled, $"oneDNN while {name}'s backward pass ran (guarded: {guarded.Contains(name)})");
        Assert.IsTrue(LibTorchSwitches.OneDnnEnabled, "oneDNN is back on after the backward pass.");
        AgdLoss.Square.Compute(reference.call(images.to(float64)), labels).backward();

        AssertGradientsAgree(network, reference, baseWidth, guarded);
        Assert.AreEqual(baseWidth == 16, guarded.SequenceEqual(["stem"]));
    }

    // agd train on tiny data, as a child process with the remedy forced and oneDNN printing every primitive it runs; returns
    // the input and output channels of each convolution backward-data primitive that training ran (the self-test's own,
    // on 12x12 inputs, left out).
    private static List<(int In, int Out)> OneDnnBackwardData(string remedy)
    {
        using var data = new TinyData();
        var (code, output) = Packaging.DotNet.Execute(data.Root, [Cli.AgdDll, "train", "--data", data.IdxFolder(), "-a", "resnet18", "--base-width", "4", "-e", "1", "-o", data.Path("model")],
            new Dictionary<string, string> { ["ONEDNN_VERBOSE"] = "1", [TorchNative.RemedyVariable] = remedy });
        Assert.AreEqual(0, code, output);
        return System.Text.RegularExpressions.Regex.Matches(output, @"convolution,[^,]*,backward_data,.*_ic(\d+)oc(\d+)_ih(\d+)")
            .Where(m => m.Groups[3].Value != "12")
            .Select(m => (int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)))
            .ToList();
    }

    [TestMethod]
    [DoNotParallelize] // two child processes that train: they need the cores to themselves to be quick
    public void TheTrainerAppliesTheForcedRemedyToItsNetwork()
    {
        static bool Narrow((int In, int Out) c) => c.In % 16 != 0 || c.Out % 16 != 0;
        var unguarded = OneDnnBackwardData("none");
        if (!unguarded.Any(Narrow))
            Assert.Inconclusive("oneDNN runs no convolution backward pass of narrow channels on this CPU, so there is nothing for the remedy to take away.");
        foreach (string remedy in new[] { "narrow", "padded", "convolution" })
        {
            var guarded = OneDnnBackwardData(remedy);
            Assert.AreEqual(0, guarded.Count(Narrow), $"{remedy}: narrow convolutions still ran oneDNN's backward pass: {string.Join(", ", guarded.Where(Narrow).Distinct())}");
            Assert.IsTrue(guarded.Count > 0, $"{remedy}: the aligned convolutions keep oneDNN");
        }
    }

    // An identity whose backward pass records whether oneDNN is on at that moment.
    private sealed class OneDnnProbe : autograd.SingleTensorFunction<OneDnnProbe>
    {
        public static readonly List<(string Name, bool Enabled)> Seen = [];

        public override string Name => nameof(OneDnnProbe);

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            ctx.save_data("name", vars[1]);
            return ((Tensor)vars[0]).alias();
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
        {
            lock (Seen)
                Seen.Add(((string)ctx.get_data("name"), LibTorchSwitches.OneDnnEnabled));
            return [grad_output, null!];
        }
    }
}

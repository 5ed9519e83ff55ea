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
    public void ThisProcessRanTheSelfTestAndFollowsItsDecision()
    {
        var check = TorchNative.ConvolutionCheck;
        if (!check.Forced)
            Assert.AreEqual(ConvolutionSelfTest.Decide(check.Cases), check.Remedy, check.ToString());
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
        var network = new PreActResNet(18, classes: 10, inputChannels: 3, baseWidth: baseWidth);
        AgdInitialization.Apply(network, new Generator(7));
        var reference = new PreActResNet(18, classes: 10, inputChannels: 3, baseWidth: baseWidth);
        reference.load_state_dict(network.state_dict());
        reference.to(float64);
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

        var expected = reference.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!);
        foreach (var (name, parameter) in network.named_parameters())
        {
            var want = expected[name];
            double error = parameter.grad!.to(float64).sub(want).norm().item<double>() / want.norm().item<double>();
            Assert.IsTrue(error <= 1e-4, $"base width {baseWidth}: gradient of {name} is {error:E2} from float64 (guarded: {string.Join(", ", guarded)}).");
        }
        // Exactly the convolutions whose weight has a channel count that is not a multiple of 16.
        var narrow = network.named_parameters().Where(p => p.parameter.dim() == 4 && (p.parameter.shape[0] % 16 != 0 || p.parameter.shape[1] % 16 != 0))
            .Select(p => p.name[..^".weight".Length]).ToList();
        CollectionAssert.AreEquivalent(narrow, guarded.ToList());
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
        var guarded = OneDnnBackwardData("narrow");
        Assert.AreEqual(0, guarded.Count(Narrow), $"narrow convolutions still ran oneDNN's backward pass: {string.Join(", ", guarded.Where(Narrow).Distinct())}");
        Assert.IsTrue(guarded.Count > 0, "the aligned convolutions keep oneDNN");
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

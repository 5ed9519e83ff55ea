using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Tests.Optim;

/// <summary>The in-place step (CpuStep and its SIMD kernels) against float64 sums and against the libtorch step.</summary>
[TestClass]
public class CpuStepTests
{
    [TestMethod]
    public unsafe void InterleavedSumsOfSquaresMatchFloat64()
    {
        manual_seed(5);
        // Sizes around a SIMD block (a period's worth of vectors) and the float flushes, with tails.
        foreach (var (size, period) in new (long, int)[] { (9, 9), (9 * 8 * 3 + 9, 9), (9 * 70_001, 9), (4, 4), (25 * 1_001, 25), (49 * 3, 49) })
        {
            var values = randn(size).data<float>().ToArray();
            var sums = new double[period];
            fixed (float* x = values)
                SliceKernels.InterleavedSquares(x, size, sums);
            var expected = new double[period];
            for (int i = 0; i < values.Length; i++)
                expected[i % period] += (double)values[i] * values[i];
            for (int p = 0; p < period; p++)
                Assert.AreEqual(expected[p], sums[p], 1e-6 * Math.Max(1, expected[p]), $"size {size}, period {period}, position {p}");
        }
    }

    [TestMethod]
    public unsafe void RunSumsOfSquaresMatchFloat64()
    {
        manual_seed(6);
        foreach (long size in new long[] { 1, 31, 32, 33, 4 * 16 * 256 + 5, 300_001 })
        {
            var values = randn(size).data<float>().ToArray();
            double expected = values.Sum(v => (double)v * v), actual;
            fixed (float* x = values)
                actual = SliceKernels.RunSquares(x, size);
            Assert.AreEqual(expected, actual, 1e-6 * expected, $"size {size}");
        }
    }

    [TestMethod]
    public unsafe void UpdatesMatchTheirDefinitionElementByElement()
    {
        manual_seed(7);
        const int size = 9 * 64 + 7, period = 9;
        float[] w = randn(size).data<float>().ToArray(), g = randn(size).data<float>().ToArray();
        float[] factors = randn(period).data<float>().ToArray();
        float[] interleaved = (float[])w.Clone(), run = (float[])w.Clone();
        fixed (float* pw = interleaved, pr = run, pg = g)
        {
            SliceKernels.InterleavedUpdate(pw, pg, size, factors);
            SliceKernels.RunUpdate(pr, pg, size, -0.25f);
        }
        for (int i = 0; i < size; i++)
        {
            Assert.AreEqual(w[i] + (double)factors[i % period] * g[i], interleaved[i], 1e-6, $"interleaved element {i}");
            Assert.AreEqual(w[i] - 0.25 * g[i], run[i], 1e-6, $"run element {i}");
        }
    }

    [TestMethod]
    [DataRow("fcn")]
    [DataRow("resnet")]
    [DataRow("gpt")]
    public void InPlaceStepGivesTheLibTorchStepsNumbers(string network)
    {
        var (inPlace, plain) = Twins(network);
        var (fast, slow) = (new AgdOptimizer(inPlace), new AgdOptimizer(plain));
        manual_seed(8);
        foreach (var (a, b) in inPlace.parameters().Zip(plain.parameters()))
        {
            var g = randn_like(a);
            g.view(-1)[0] = 0; // a zero in the first slice and, for the GPT's token table, a whole zero row below
            if (a.dim() == 2 && network == "gpt" && a.shape[0] > 60)
                g[3] = zeros(a.shape[1]);
            a.grad = g;
            b.grad = g.clone();
        }
        Assert.IsTrue(CpuStep.CanRun(fast.Plan.Layers));
        double etaFast = fast.Step(fast.Plan.Layers, inPlace: true), etaPlain = slow.Step(slow.Plan.Layers, inPlace: false);

        Assert.AreEqual(etaPlain, etaFast, 1e-6 * etaPlain, "eta");
        foreach (var ((name, a), b) in inPlace.named_parameters().Zip(plain.parameters()))
        {
            var difference = (a - b).abs().max().item<float>();
            Assert.IsTrue(difference <= 1e-6f * Math.Max(1f, b.abs().max().item<float>()), $"{name}: largest difference {difference}");
        }
    }

    [TestMethod]
    public void OnlyContiguousFloat32InCpuMemoryIsReadInPlace()
    {
        var linear = nn.Linear(3, 4);
        linear.weight!.grad = zeros(4, 3);
        Assert.IsTrue(CpuStep.CanRun(AgdPlan.Of(linear).Layers));
        linear.weight.grad = zeros(3, 4).t();
        Assert.IsFalse(CpuStep.CanRun(AgdPlan.Of(linear).Layers), "a transposed gradient");
        var wide = nn.Linear(3, 4).to(float64);
        wide.weight!.grad = zeros(4, 3, dtype: float64);
        Assert.IsFalse(CpuStep.CanRun(AgdPlan.Of(wide).Layers), "float64");
    }

    // Two copies of one network, value by value (the random generator is shared with tests running beside this one).
    private static (nn.Module<Tensor, Tensor>, nn.Module<Tensor, Tensor>) Twins(string network)
    {
        manual_seed(network.Length);
        Func<nn.Module<Tensor, Tensor>> build = network switch
        {
            "fcn" => () => new Fcn(inputSize: 300, width: 300, depth: 3, classes: 7),
            "resnet" => () => new PreActResNet(18, classes: 5, inputChannels: 3, baseWidth: 16),
            _ => () => new Gpt(vocabularySize: 1000, contextLength: 8, layers: 1, heads: 2, width: 80),
        };
        var (a, b) = (build(), build());
        using (no_grad())
            foreach (var (p, q) in a.parameters().Zip(b.parameters()))
                q.copy_(p);
        return (a, b);
    }
}

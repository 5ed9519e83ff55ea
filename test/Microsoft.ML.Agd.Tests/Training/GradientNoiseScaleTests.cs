using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Tests.Training;

/// <summary>
/// The gradient noise scale from a batch's two halves, against its closed form for least squares with Gaussian inputs
/// and noise; the automatic batch's rule on a recorded sequence of measurements, worked out by hand.
/// </summary>
[TestClass]
public class GradientNoiseScaleTests
{
    [TestMethod]
    public void TheNoiseScaleOfLeastSquaresMatchesItsClosedForm()
    {
        // Rows x ~ N(0, I_n), targets y = x . w* + sigma e with e ~ N(0, 1), loss (x . w - y)^2 / 2, measured at w = w* + d.
        // A row's gradient is x (x . d - sigma e): its mean is G = E[x x^T] d = d, and E|x x^T d|^2 = (n + 2)|d|^2 for a
        // Gaussian x, E|x sigma e|^2 = n sigma^2, so tr(Sigma) = (n + 1)|d|^2 + n sigma^2 and B = tr(Sigma) / |G|^2.
        const int n = 10, batch = 64, measurements = 4000;
        const double sigma = 1;
        var d = new double[n];
        d[0] = 0.6;
        d[1] = 0.8; // |d| = 1
        double expected = ((n + 1) * 1.0 + n * sigma * sigma) / 1.0; // 21

        var random = new Random(7);
        var scale = new GradientNoiseScale();
        double sum = 0, signalSum = 0, noiseSum = 0;
        int counted = 0;
        for (int m = 0; m < measurements; m++)
        {
            var (a, b) = (HalfGradient(random, d, sigma, batch / 2), HalfGradient(random, d, sigma, batch / 2));
            scale.Add(batch, a.Zip(b, (x, y) => x * y).Sum(), a.Zip(b, (x, y) => (x - y) * (x - y)).Sum());
            if (m < measurements / 4)
                continue; // the smoothing's start
            sum += scale.Value!.Value;
            signalSum += scale.Signal;
            noiseSum += scale.Noise;
            counted++;
        }
        Assert.AreEqual(1.0, signalSum / counted, 0.03, "|G|^2 = |d|^2 = 1");
        Assert.AreEqual(expected - 1, noiseSum / counted, 0.03 * (expected - 1) + 0.5, "tr(Sigma) = (n + 1)|d|^2 + n sigma^2");
        Assert.AreEqual(expected, sum / counted, 0.05 * expected, "B = tr(Sigma) / |G|^2");
        Assert.AreEqual(measurements, scale.Count);
    }

    // The mean gradient of `rows` fresh rows at w* + d, in float64.
    private static double[] HalfGradient(Random random, double[] d, double sigma, int rows)
    {
        var g = new double[d.Length];
        for (int r = 0; r < rows; r++)
        {
            var x = d.Select(_ => Gaussian(random)).ToArray();
            double residual = x.Zip(d, (xi, di) => xi * di).Sum() - sigma * Gaussian(random);
            for (int i = 0; i < g.Length; i++)
                g[i] += x[i] * residual / rows;
        }
        return g;
    }

    private static double Gaussian(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    [TestMethod]
    public void AMeasurementThatIsNotFiniteIsLeftOut()
    {
        var scale = new GradientNoiseScale();
        Assert.IsNull(scale.Value, "nothing measured");
        scale.Add(64, double.NaN, 1);
        scale.Add(64, 1, double.PositiveInfinity);
        Assert.AreEqual(0, scale.Count);
        scale.Add(64, -1, 1);
        Assert.IsNull(scale.Value, "no estimate while |G|^2 is estimated at or below zero");
        scale.Add(64, 3, 1);
        // Each smoothed on its own: |G|^2 0.98 * -1 + 3, tr(Sigma) 0.98 * 16 + 16 (a batch of 64 with |g_a - g_b|^2 = 1: 64 / 4).
        Assert.AreEqual((0.98 * 16 + 16) / (0.98 * -1 + 3), scale.Value!.Value, 1e-12);
    }

    [TestMethod]
    public void TheBatchDoublesAsTheRecordedNoiseScaleGrows()
    {
        // Every measurement has g_a . g_b = 1 and |g_a - g_b|^2 = 4 B / batch, so that it measures a noise scale of B exactly:
        // 100 for the first 100 measurements, then 1000. With the smoothing's decay q = 1 - 1/50 = 0.98, at measurement m,
        // k after the change, the estimate is (1000 (1 - q^k) + 100 (q^k - q^m)) / (1 - q^m). Steps whose fixed cost
        // dwarfs their rows' (1 s + 1 us a row) never hold the batch back, so it doubles once the estimate reaches twice
        // it, at least 25 measurements after its last change:
        //   32 -> 64 at 25 (100 >= 64); 64 -> 128 at 102 (140.8 >= 128; at 101, 120.7);
        //   128 -> 256 at 127 (509.9 >= 256); 256 -> 512 at 152 (713.7 >= 512); never 1024 (the estimate stays under 1000).
        var rule = new AutomaticBatchSize(AutomaticBatchSize.Start, AutomaticBatchSize.Largest);
        var changes = Record(rule, 300, fixedSeconds: 1, rowSeconds: 1e-6);
        CollectionAssert.AreEqual(new[] { (25, 64), (102, 128), (127, 256), (152, 512) }, changes);
        Assert.AreEqual(512, rule.Current);

        // The largest batch caps it; it never shrinks.
        var capped = new AutomaticBatchSize(AutomaticBatchSize.Start, 256);
        CollectionAssert.AreEqual(new[] { (25, 64), (102, 128), (127, 256) }, Record(capped, 300, fixedSeconds: 1, rowSeconds: 1e-6));
        // A run continued from a batch starts there.
        Assert.AreEqual(128, new AutomaticBatchSize(128, 4096).Current);
    }

    [TestMethod]
    public void TheBatchStopsGrowingWhereTheStepTimesSayALargerOneIsSlowerToALoss()
    {
        // The same noise, steps of a + b B seconds with a = 30 ms and b = 0.8 ms (VGG-16 on 2 cores). Doubling B shortens
        // the time to a loss, (a + b B)(1 + B_noise / B), iff 2 b B^2 < a B_noise, so beyond the first doubling (the noise
        // alone: one size's time fits no line) the batch needs B_noise > 2 b B^2 / a:
        //   64 -> 128 once the estimate passes 218.5: at 107 (234.1; at 106, 216.4);
        //   128 -> 256 past 873.8: at 192 (875.7; at 191, 873.2); never 512 (past 3495).
        var rule = new AutomaticBatchSize(AutomaticBatchSize.Start, AutomaticBatchSize.Largest);
        CollectionAssert.AreEqual(new[] { (25, 64), (107, 128), (192, 256) }, Record(rule, 400, fixedSeconds: 0.030, rowSeconds: 0.0008));

        // Ranks decide on their agreed time: told that steps have no fixed cost (this one's time less 30 ms), none doubles past the first.
        var ranks = new AutomaticBatchSize(AutomaticBatchSize.Start, AutomaticBatchSize.Largest, agree: seconds => seconds - 0.030);
        CollectionAssert.AreEqual(new[] { (25, 64) }, Record(ranks, 400, fixedSeconds: 0.030, rowSeconds: 0.0008));
    }

    [TestMethod]
    public void DoublingIsSoonerExactlyBelowTheTimeOptimalBatch()
    {
        // (a + b B)(1 + N / B) is least at B* = sqrt(a N / b); doubling from B is sooner iff 2 b B^2 < a N, that is B < B* / sqrt(2).
        foreach (var (a, b, noise) in new[] { (0.03, 0.0008, 1000.0), (0.002, 1e-6, 5000.0), (1.0, 0.5, 40.0) })
            foreach (int batch in new[] { 8, 32, 128, 512, 2048 })
            {
                bool sooner = AutomaticBatchSize.Sooner((batch / 2, a + b * batch / 2), (batch, a + b * batch), noise);
                Assert.AreEqual(2 * b * batch * batch < a * noise, sooner, $"a {a}, b {b}, noise {noise}, batch {batch}");
            }
        // A larger batch whose step takes no longer is always sooner; one whose step time grows faster than its rows (no fixed cost) never.
        Assert.IsTrue(AutomaticBatchSize.Sooner((64, 0.1), (128, 0.1), 10));
        Assert.IsFalse(AutomaticBatchSize.Sooner((64, 0.1), (128, 0.3), 1e6));
    }

    private static List<(int Measurement, int Batch)> Record(AutomaticBatchSize rule, int measurements, double fixedSeconds, double rowSeconds)
    {
        var changes = new List<(int, int)>();
        var noise = new GradientNoiseScale();
        for (int m = 1; m <= measurements; m++)
        {
            double noiseScale = m <= 100 ? 100 : 1000;
            noise.Add(rule.Current, 1, 4 * noiseScale / rule.Current);
            if (rule.Observe(noise.Value, fixedSeconds + rowSeconds * rule.Current))
                changes.Add((m, rule.Current));
        }
        return changes;
    }
}

/// <summary>The halves' measurement and the batch's gradient they leave, against gradients computed apart in float64.</summary>
[TestClass]
public class HalfGradientsTests
{
    [TestMethod]
    public void TheHalvesProductDistanceAndMeanAreThoseOfTheirGradients()
    {
        using var scope = NewDisposeScope();
        manual_seed(41);
        var network = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3));
        var parameters = network.parameters().ToList();
        var input = randn([10, 5], generator: new Generator(42));
        var target = randn([10, 3], generator: new Generator(43));
        Tensor[] Gradients(long start, long rows)
        {
            foreach (var p in parameters)
                p.grad = null;
            network.call(input.narrow(0, start, rows)).sub(target.narrow(0, start, rows)).square().mean().backward();
            return parameters.Select(p => p.grad!.to(float64).clone()).ToArray();
        }
        var (a, b, whole) = (Gradients(0, 4), Gradients(4, 6), Gradients(0, 10));
        double dot = a.Zip(b, (x, y) => x.mul(y).sum().item<double>()).Sum();
        double distance = a.Zip(b, (x, y) => x.sub(y).square().sum().item<double>()).Sum();

        Gradients(0, 4);
        using var first = new HalfGradients(parameters);
        Assert.IsTrue(parameters.All(p => p.grad!.abs().max().item<float>() == 0), "zeroed for the second half");
        network.call(input.narrow(0, 4, 6)).sub(target.narrow(0, 4, 6)).square().mean().backward();
        var (measuredDot, measuredDistance) = first.Compare(parameters);
        Assert.AreEqual(dot, measuredDot, 1e-6 * Math.Abs(dot) + 1e-9);
        Assert.AreEqual(distance, measuredDistance, 1e-6 * distance);

        first.Combine(parameters, 0.4); // 4 of 10 rows: the batch's mean loss's gradient
        for (int i = 0; i < parameters.Count; i++)
            Assert.IsTrue(parameters[i].grad!.to(float64).sub(whole[i]).abs().max().item<double>() < 1e-6, $"parameter {i}");
    }
}

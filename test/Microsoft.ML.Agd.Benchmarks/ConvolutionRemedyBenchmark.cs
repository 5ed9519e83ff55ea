using System.Diagnostics;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Benchmarks;

/// <summary>What the convolution remedy costs: ResNet-18 AGD epochs with each remedy, side by side on this CPU.</summary>
internal static class ConvolutionRemedyBenchmark
{
    private static readonly ConvolutionRemedy[] s_remedies =
        [ConvolutionRemedy.None, ConvolutionRemedy.NarrowInputGradientsAsConvolutions, ConvolutionRemedy.NarrowConvolutionsPadded, ConvolutionRemedy.NarrowConvolutionsWithoutOneDnn, ConvolutionRemedy.AllConvolutionsWithoutOneDnn];

    public static void Run(Report report, LabelledImageSet train, LabelledImageSet test)
    {
        report.Section("7. Convolution remedy", $"Seconds per epoch of ResNet-18 trained with AGD (the training loop on tensors in memory, batch 64, 2,048 training images) on {Machine.Cpu}, " +
            $"without a remedy, with the remedies the library uses where its self-test finds only narrow convolutions wrong, in its order of preference: " +
            $"their input gradients computed as forward convolutions, their channels padded to 16 (each where its form passes the test), their backward " +
            $"passes without oneDNN (where neither form passes); and with every convolution's backward pass without oneDNN. This machine's self-test: " +
            $"{TorchNative.ConvolutionCheck} Each is timed twice, interleaved (none, convolution, padded, narrow, all, then the reverse), after an untimed " +
            "warm-up; the faster run is reported.");
        var subset = train with { Rows = train.Rows.Take(2048).ToList() };
        var rows = new List<IReadOnlyList<string>>();
        var chosen = new List<(int BaseWidth, double Ratio)>();
        foreach (int baseWidth in new[] { 8, 16 })
        {
            var options = new AgdImageClassificationTrainer.Options { Architecture = AgdArchitecture.ResNet18, BaseWidth = baseWidth, BatchSize = 64 };
            using var harness = new BaselineTraining(subset, test with { Rows = test.Rows.Take(100).ToList() }, options);
            EpochSeconds(harness, options, ConvolutionRemedy.None);
            var order = s_remedies.Concat(s_remedies.Reverse());
            var seconds = order.Select(r => (Remedy: r, Seconds: EpochSeconds(harness, options, r))).ToList()
                .GroupBy(t => t.Remedy).ToDictionary(g => g.Key, g => g.Min(t => t.Seconds));
            double none = seconds[ConvolutionRemedy.None];
            chosen.Add((baseWidth, seconds[ConvolutionRemedy.NarrowInputGradientsAsConvolutions] / none));
            rows.Add([$"base width {baseWidth}", $"{none:F2}", .. s_remedies.Skip(1).SelectMany(r => new[] { $"{seconds[r]:F2}", $"{seconds[r] / none:F2}x" })]);
        }
        report.Table(["ResNet-18", "no remedy (s/epoch)", "input gradients as convolutions (s/epoch)", "convolutions / none", "padded (s/epoch)", "padded / none",
                "narrow without oneDNN (s/epoch)", "narrow / none", "all without oneDNN (s/epoch)", "all / none"], rows,
            "Base width 16 has no narrow convolution that needs an input gradient (its 1->16 stem reads the images), so the narrow remedies leave it as it is.");
        report.Verdict("the remedy where narrow convolutions fail (its first choice, input gradients as convolutions) at most 1.3x an epoch without it",
            chosen.All(p => p.Ratio <= 1.3), string.Join(", ", chosen.Select(p => $"base width {p.BaseWidth} {p.Ratio:F2}x")));
    }

    private static double EpochSeconds(BaselineTraining harness, AgdImageClassificationTrainer.Options options, ConvolutionRemedy remedy)
    {
        using var network = new PreActResNet(18, classes: 10, inputChannels: 1, baseWidth: options.BaseWidth);
        ConvolutionGuard.Protect(network, remedy);
        var agd = new AgdOptimizer(network);
        AgdInitialization.Apply(network, new Generator(0));
        var clock = Stopwatch.StartNew();
        harness.Loop(network, agd).Run(harness.Train, null, 0, 1, _ => { }, default);
        return clock.Elapsed.TotalSeconds;
    }
}

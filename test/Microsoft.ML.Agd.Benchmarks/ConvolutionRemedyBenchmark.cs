using System.Diagnostics;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Benchmarks;

/// <summary>What the convolution remedy costs: ResNet-18 AGD epochs with each remedy, side by side on this CPU.</summary>
internal static class ConvolutionRemedyBenchmark
{
    private static readonly ConvolutionRemedy[] s_remedies =
        [ConvolutionRemedy.None, ConvolutionRemedy.NarrowConvolutionsPadded, ConvolutionRemedy.NarrowConvolutionsWithoutOneDnn, ConvolutionRemedy.AllConvolutionsWithoutOneDnn];

    public static void Run(Report report, LabelledImageSet train, LabelledImageSet test)
    {
        report.Section("7. Convolution remedy", $"Seconds per epoch of ResNet-18 trained with AGD (the training loop on tensors in memory, batch 64, 2,048 training images) on {Machine.Cpu}, " +
            $"without a remedy, with the remedy the library uses where its self-test finds only narrow convolutions wrong (their channels padded to 16, where " +
            $"the padded form passes the test), with the one it uses where the padded form fails too (narrow convolutions' backward passes without " +
            $"oneDNN), and with every convolution's backward pass without oneDNN. This machine's self-test: {TorchNative.ConvolutionCheck} " +
            "Each is timed twice, interleaved (none, padded, narrow, all, all, narrow, padded, none), after an untimed warm-up; the faster run is reported.");
        var subset = train with { Rows = train.Rows.Take(2048).ToList() };
        var rows = new List<IReadOnlyList<string>>();
        var padded = new List<(int BaseWidth, double Ratio)>();
        foreach (int baseWidth in new[] { 8, 16 })
        {
            var options = new AgdImageClassificationTrainer.Options { Architecture = AgdArchitecture.ResNet18, BaseWidth = baseWidth, BatchSize = 64 };
            using var harness = new BaselineTraining(subset, test with { Rows = test.Rows.Take(100).ToList() }, options);
            EpochSeconds(harness, options, ConvolutionRemedy.None);
            var order = s_remedies.Concat(s_remedies.Reverse());
            var seconds = order.Select(r => (Remedy: r, Seconds: EpochSeconds(harness, options, r))).ToList()
                .GroupBy(t => t.Remedy).ToDictionary(g => g.Key, g => g.Min(t => t.Seconds));
            double none = seconds[ConvolutionRemedy.None];
            padded.Add((baseWidth, seconds[ConvolutionRemedy.NarrowConvolutionsPadded] / none));
            rows.Add([$"base width {baseWidth}", $"{none:F2}", .. s_remedies.Skip(1).SelectMany(r => new[] { $"{seconds[r]:F2}", $"{seconds[r] / none:F2}x" })]);
        }
        report.Table(["ResNet-18", "no remedy (s/epoch)", "padded (s/epoch)", "padded / none", "narrow without oneDNN (s/epoch)", "narrow / none", "all without oneDNN (s/epoch)", "all / none"], rows,
            "Base width 16 has no narrow convolution that needs an input gradient (its 1->16 stem reads the images), so the narrow remedies leave it as it is.");
        report.Verdict("the remedy where narrow convolutions fail (padded) at most 1.3x an epoch without it", padded.All(p => p.Ratio <= 1.3),
            string.Join(", ", padded.Select(p => $"base width {p.BaseWidth} {p.Ratio:F2}x")));
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

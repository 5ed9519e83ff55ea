using System.Diagnostics;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Benchmarks;

/// <summary>What the convolution remedy costs: ResNet-18 AGD epochs with oneDNN and without it, side by side on this CPU.</summary>
internal static class ConvolutionRemedyBenchmark
{
    public static void Run(Report report, LabelledImageSet train, LabelledImageSet test)
    {
        report.Section("7. Convolution remedy", $"Seconds per epoch of ResNet-18 trained with AGD (the training loop on tensors in memory, batch 64, 2,048 training images) on {Machine.Cpu}, " +
            "with libtorch's oneDNN convolutions and without them (the remedy, process-wide, where the self-test finds a wrong result). This machine's self-test: " +
            $"{TorchNative.ConvolutionCheck} Each is timed twice, interleaved (with, without, then the reverse), after an untimed warm-up; the faster run is reported. " +
            "Where the self-test failed, the run with oneDNN trains on wrong numbers: only its time is meaningful.");
        var subset = train with { Rows = train.Rows.Take(2048).ToList() };
        var rows = new List<IReadOnlyList<string>>();
        bool wasEnabled = LibTorchSwitches.OneDnnEnabled;
        try
        {
            foreach (int baseWidth in new[] { 8, 16, 64 })
            {
                var options = new AgdImageClassificationTrainer.Options { Architecture = AgdArchitecture.ResNet18, BaseWidth = baseWidth, BatchSize = 64 };
                using var harness = new BaselineTraining(subset, test with { Rows = test.Rows.Take(100).ToList() }, options);
                EpochSeconds(harness, options, oneDnn: true);
                var seconds = new[] { true, false, false, true }.Select(on => (On: on, Seconds: EpochSeconds(harness, options, on))).ToList()
                    .GroupBy(t => t.On).ToDictionary(g => g.Key, g => g.Min(t => t.Seconds));
                rows.Add([$"base width {baseWidth}", $"{seconds[true]:F2}", $"{seconds[false]:F2}", $"{seconds[false] / seconds[true]:F2}x"]);
            }
        }
        finally
        {
            LibTorchSwitches.SetOneDnn(wasEnabled);
        }
        report.Table(["ResNet-18", "with oneDNN (s/epoch)", "without oneDNN (s/epoch)", "without / with"], rows);
    }

    private static double EpochSeconds(BaselineTraining harness, AgdImageClassificationTrainer.Options options, bool oneDnn)
    {
        LibTorchSwitches.SetOneDnn(oneDnn);
        using var network = new PreActResNet(18, classes: 10, inputChannels: 1, baseWidth: options.BaseWidth);
        var agd = new AgdOptimizer(network);
        AgdInitialization.Apply(network, new Generator(0));
        var clock = Stopwatch.StartNew();
        harness.Loop(network, agd).Run(harness.Train, null, 0, 1, _ => { }, default);
        return clock.Elapsed.TotalSeconds;
    }
}

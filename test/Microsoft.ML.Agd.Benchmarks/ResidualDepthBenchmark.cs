using Microsoft.ML.Agd.Samples.Networks;
using Microsoft.ML.Agd.Training;

namespace Microsoft.ML.Agd.Benchmarks;

/// <summary>
/// Section 9: AGD's depth for residual networks. Each network trains from the same initial weights on the same batches
/// with the published depth (the layer count, in series) at gain 1, 2, 4 and 8, with the depth its description gives
/// (docs/residual-depth.md) at gain 1, and with Adam over the compare grid; the table gives the final test accuracy.
/// </summary>
internal static class ResidualDepthBenchmark
{
    private static readonly double[] s_gains = [1, 2, 4, 8];

    public static void Run(Report report, LabelledImageSet train, LabelledImageSet test, int epochs)
    {
        report.Section("9. Residual depth", $"Final test accuracy after {epochs} epochs, cross-entropy, batch 64, on {train.Rows.Count} training images: " +
            "the published depth (layer count) at gains 1, 2, 4, 8; the depth that the network's description gives, at gain 1, no gain set; Adam's best of the compare grid.");
        var rows = new List<IReadOnlyList<string>>();
        foreach (var (name, options) in Networks())
        {
            options.NumberOfEpochs = epochs;
            options.Loss = AgdLoss.CrossEntropy;
            using var harness = new BaselineTraining(train, test, options);
            OptimizerRun Agd(double gain, bool inSeries)
            {
                var network = harness.InitialNetwork();
                return harness.Run(Optimizer.Agd, null, network, new AgdOptimizer(network, gain, inSeries), epochs);
            }
            var depth = new AgdOptimizer(harness.InitialNetwork());
            var published = s_gains.Select(g => Agd(g, inSeries: true)).ToList();
            var composed = Agd(1, inSeries: false);
            var adam = CompareSettings.DefaultGrid.Select(lr => harness.Baseline(Optimizer.Adam, lr, epochs)).MaxBy(r => r.FinalTestAccuracy)!;
            string Cell(OptimizerRun r) => r.Diverged ? "diverged" : $"{r.FinalTestAccuracy:P2}";
            var best = published.MaxBy(r => r.FinalTestAccuracy)!;
            rows.Add([name, $"{depth.Layers.Count}", $"{depth.Depth:0.##}", .. published.Select(Cell), Cell(composed),
                $"{(composed.FinalTestAccuracy - best.FinalTestAccuracy) * 100:+0.00;-0.00}", $"{Cell(adam)} ({adam.Name})"]);
            Console.WriteLine(string.Join(" | ", rows[^1]));
        }
        report.Table(["network", "layers", "composed depth", "gain 1 (published)", "gain 2", "gain 4", "gain 8", "composed depth, gain 1", "minus best gain (points)", "best Adam"], rows);
    }

    private static IEnumerable<(string Name, AgdImageClassificationTrainer.Options Options)> Networks()
    {
        yield return ("ResNet-18 base width 8", new() { Architecture = AgdArchitecture.ResNet18, BaseWidth = 8 });
        yield return ("FCN depth 3 width 512 (in series)", new() { Architecture = AgdArchitecture.Fcn });
        yield return ("VGG-16 base width 8 (in series)", new() { NetworkFactory = SampleNetworks.Factory("vgg16", 8) });
        yield return ("ResNet-50 base width 8", new() { Architecture = AgdArchitecture.ResNet50, BaseWidth = 8 });
    }
}

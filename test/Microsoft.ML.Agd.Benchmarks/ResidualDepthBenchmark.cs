using Microsoft.ML.Agd.Samples.Networks;
using static TorchSharp.torch;
using Microsoft.ML.Agd.Training;

namespace Microsoft.ML.Agd.Benchmarks;

/// <summary>
/// Section 9: AGD's depth and step norm. Each network trains from the same initial weights on the same batches with the
/// published step (the layer count as depth, Frobenius norms) at gain 1, 2, 4 and 8, with the depth its description gives
/// (docs/research/residual-depth.md) and Frobenius norms, with that depth and spectral norms (the library's default, no gain), and
/// with Adam over the compare grid; the table gives the final test accuracy.
/// </summary>
internal static class ResidualDepthBenchmark
{
    private static readonly double[] s_gains = [1, 2, 4, 8];

    public static void Run(Report report, LabelledImageSet train, LabelledImageSet test, int epochs)
    {
        report.Section("9. Residual depth and the step's norm", $"Final test accuracy after {epochs} epochs, cross-entropy, batch 64, on {train.Rows.Count} training images: " +
            "the published step (layer count as depth, Frobenius norms) at gains 1, 2, 4, 8; the depth that the network's description gives with Frobenius norms; " +
            "that depth with spectral norms (the library's default: nothing set); Adam's best of the compare grid.");
        var rows = new List<IReadOnlyList<string>>();
        foreach (var (name, options) in Networks().Where(n => RowFilter.Keep(n.Name)))
        {
            options.NumberOfEpochs = epochs;
            options.Loss = AgdLoss.CrossEntropy;
            using var harness = new BaselineTraining(train, test, options);
            OptimizerRun Agd(double gain, bool inSeries, AgdStepNorm norm)
            {
                var network = harness.InitialNetwork();
                var agd = new AgdOptimizer(inSeries ? AgdPlan.Published(network) : AgdPlan.Of(network)) { Norm = norm };
                return harness.Run(Optimizer.Agd, null, network, gain == 1 ? agd : StepVariants.WithGain(agd, gain), epochs);
            }
            var depth = AgdPlan.Of(harness.InitialNetwork());
            var published = s_gains.Select(g => Agd(g, inSeries: true, AgdStepNorm.Frobenius)).ToList();
            var composed = Agd(1, inSeries: false, AgdStepNorm.Frobenius);
            var spectral = Agd(1, inSeries: false, AgdStepNorm.Spectral);
            var adam = CompareSettings.DefaultGrid.Select(lr => harness.Baseline(Optimizer.Adam, lr, epochs)).MaxBy(r => r.FinalTestAccuracy)!;
            string Cell(OptimizerRun r) => r.Diverged ? "diverged" : $"{r.FinalTestAccuracy:P2}";
            var best = published.MaxBy(r => r.FinalTestAccuracy)!;
            string Minus(OptimizerRun r) => $"{(r.FinalTestAccuracy - best.FinalTestAccuracy) * 100:+0.00;-0.00}";
            rows.Add([name, $"{depth.Layers.Count}", $"{depth.Depth:0.##}", .. published.Select(Cell), Cell(composed), Cell(spectral),
                Minus(spectral), $"{Cell(adam)} ({adam.Name})"]);
            Console.WriteLine(string.Join(" | ", rows[^1]));
        }
        report.Table(["network", "layers", "composed depth", "published, gain 1", "gain 2", "gain 4", "gain 8", "composed depth, Frobenius",
            "composed depth, spectral (default)", "default minus best gain (points)", "best Adam"], rows);
    }

    private static IEnumerable<(string Name, AgdImageClassificationTrainer.Options Options)> Networks()
    {
        yield return ("ResNet-18 base width 8", new() { Architecture = AgdArchitecture.ResNet18, BaseWidth = 8 });
        yield return ("FCN depth 3 width 512 (in series)", new() { Architecture = AgdArchitecture.Fcn });
        yield return ("VGG-16 base width 8 (in series)", new() { NetworkFactory = SampleNetworks.Factory("vgg16", 8) });
        yield return ("ResNet-50 base width 8", new() { Architecture = AgdArchitecture.ResNet50, BaseWidth = 8 });
    }

    /// <summary>
    /// Section 10: how far one AGD step moves the network's output on its batch, ||f(W + dW) - f(W)|| / ||f(W)||, against the
    /// bound the step is sized by, exp(eta) - 1: the share of the bound that a step uses, over the first epoch.
    /// </summary>
    public static void StepAgainstBound(Report report, LabelledImageSet train, LabelledImageSet test)
    {
        report.Section("10. A step's move against its bound", "The output's relative change over one AGD step on the step's own batch, divided by exp(eta) - 1, " +
            "mean over the first epoch's steps (batch 64, cross-entropy), with the published step (layer count, Frobenius norms) and with the library's (composed depth, spectral norms).");
        var rows = new List<IReadOnlyList<string>>();
        foreach (var (name, options) in Networks().Where(n => !n.Name.StartsWith("ResNet-50", StringComparison.Ordinal)))
        {
            options.Loss = AgdLoss.CrossEntropy;
            using var harness = new BaselineTraining(train, test, options);
            var cells = new List<string> { name };
            foreach (bool inSeries in new[] { true, false })
            {
                var network = harness.InitialNetwork();
                var optimizer = new AgdOptimizer(inSeries ? AgdPlan.Published(network) : AgdPlan.Of(network)) { Norm = inSeries ? AgdStepNorm.Frobenius : AgdStepNorm.Spectral };
                var initialNorms = optimizer.Plan.Layers.Select(l => l.Weight.norm().item<float>()).ToList();
                network.train();
                var shares = new List<double>();
                harness.Train.ForEachBatch(64, new Generator(0), CPU, (images, labels) =>
                {
                    optimizer.zero_grad();
                    var before = network.call(images);
                    AgdLoss.CrossEntropy.Compute(before, labels).backward();
                    optimizer.step();
                    double eta = optimizer.LastEta;
                    using var noGrad = no_grad();
                    double moved = network.call(images).sub(before.detach()).norm().item<float>() / before.norm().item<float>();
                    shares.Add(moved / (Math.Exp(eta) - 1));
                });
                double growth = optimizer.Plan.Layers.Select((l, k) => l.Weight.norm().item<float>() / initialNorms[k]).Average();
                network.Dispose();
                cells.Add($"{shares.Average():0.000} (first {shares.Take(10).Average():0.000}, last {shares.TakeLast(100).Average():0.000}); weights' norm x{growth:0.00}");
            }
            rows.Add(cells);
            Console.WriteLine(string.Join(" | ", cells));
        }
        report.Table(["network", "published step: mean share of the bound", "library's step: mean share of the bound"], rows,
            "A share near 1 means the bound is tight for that network; the step is sized as if it could be reached. The weights' norm: " +
            "each layer's Frobenius norm after the epoch over its norm at initialisation, mean over the layers.");
    }
}

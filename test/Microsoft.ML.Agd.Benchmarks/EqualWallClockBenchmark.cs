using Microsoft.ML.Agd.Training;
using Microsoft.ML.Agd.Samples.Charts;
using Microsoft.ML.Agd.Samples.Networks;
using System.Diagnostics;
using System.Globalization;

namespace Microsoft.ML.Agd.Benchmarks;

/// <summary>
/// Section 17: the automatic batch against every fixed batch at equal wall-clock. Each run is AGD with the trainer's
/// defaults but its batch, on all the training images, stopped when its time is up; its reading is the test accuracy of
/// the last whole epoch by then (no run is averaged: a stopped run keeps its last weights, whatever its batch). The
/// frontier plot draws accuracy against time for every run. AGD_WALLCLOCK_MINUTES ("5,20" unless set) gives the budgets,
/// AGD_NETWORKS the networks, AGD_BATCHES the batches (<see cref="RowFilter"/>).
/// </summary>
internal static class EqualWallClockBenchmark
{
    private static readonly int?[] s_batches = [null, 32, 64, 128, 512, 2048];

    private static IEnumerable<(string Name, AgdImageClassificationTrainer.Options Options)> Networks()
    {
        yield return ("FCN (default)", new() { Architecture = AgdArchitecture.Fcn });
        yield return ("ResNet-18 bw 8", new() { Architecture = AgdArchitecture.ResNet18, BaseWidth = 8 });
        yield return ("VGG-16 bw 8", new() { NetworkFactory = SampleNetworks.Factory("vgg16", 8) });
    }

    public static void Run(Report report, LabelledImageSet train, LabelledImageSet test, string chart)
    {
        var budgets = (Environment.GetEnvironmentVariable("AGD_WALLCLOCK_MINUTES") ?? "5,20").Split(',').Select(m => TimeSpan.FromMinutes(double.Parse(m, CultureInfo.InvariantCulture))).ToList();
        report.Section("17. The automatic batch at equal wall-clock", $"Test accuracy on {test.Rows.Count} images of the last whole epoch within each budget " +
            $"({string.Join(", ", budgets.Select(b => $"{b.TotalMinutes:0.#} min"))}), all {train.Rows.Count} training images, AGD with the trainer's defaults " +
            "(the polar step, square loss) and the batch named; the automatic batch's sizes at the end of each epoch in brackets. Images per second: the last epoch's.");
        var table = new List<IReadOnlyList<string>>();
        var verdicts = new List<(string Network, TimeSpan Budget, bool Best, bool Faster)>();
        var lines = new List<(string Network, Plots.Line Line)>();
        foreach (var (name, options) in Networks().Where(n => RowFilter.Keep(n.Name)))
            foreach (var budget in budgets)
            {
                var runs = s_batches.Where(RowFilter.KeepBatch).Select(batch => (Batch: batch, Epochs: Train(train, test, options, batch, budget))).ToList();
                string Label(int? batch) => batch is { } b ? $"batch {b}" : "automatic";
                foreach (var (batch, epochs) in runs)
                {
                    table.Add([name, $"{budget.TotalMinutes:0.#} min", Label(batch), epochs.Count == 0 ? "no epoch" : $"{epochs[^1].Epoch.ValidationAccuracy:P2}",
                        $"{epochs.Count}", batch is null ? string.Join(", ", epochs.Select(e => e.Epoch.BatchSize)) : "", epochs.Count == 0 ? "" : $"{ImagesPerSecond(epochs[^1].Epoch, train):F0}"]);
                    Console.WriteLine(string.Join(" | ", table[^1]));
                    if (budget == budgets[^1])
                        lines.Add((name, new Plots.Line(Label(batch), Frontier(epochs), Bold: batch is null)));
                }
                double Accuracy(IReadOnlyList<(AgdEpoch Epoch, double Elapsed)> epochs) => epochs.Count == 0 ? 0 : epochs[^1].Epoch.ValidationAccuracy!.Value;
                if (runs.SingleOrDefault(r => r.Batch is null).Epochs is not { } automatic || runs.SingleOrDefault(r => r.Batch == 64).Epochs is not { } batch64)
                    continue; // a filtered rerun without both is compared by hand
                bool best = runs.Where(r => r.Batch is not null).All(r => Accuracy(automatic) >= Accuracy(r.Epochs));
                bool faster = automatic.Count > 0 && batch64.Count > 0 && ImagesPerSecond(automatic[^1].Epoch, train) >= 2 * ImagesPerSecond(batch64[^1].Epoch, train);
                verdicts.Add((name, budget, best, faster));
            }
        report.Table(["network", "budget", "batch", "test accuracy", "epochs", "automatic batch", "images/s"], table);
        report.Verdict("the automatic batch at least the best fixed batch's accuracy in every cell", verdicts.Count == 0 ? null : verdicts.All(v => v.Best),
            string.Join(", ", verdicts.Select(v => $"{v.Network} {v.Budget.TotalMinutes:0.#} min {(v.Best ? "met" : "missed")}")));
        report.Verdict("the automatic batch, once grown, at least 2x batch 64's images per second", verdicts.Count == 0 ? null : verdicts.All(v => v.Faster),
            string.Join(", ", verdicts.Select(v => $"{v.Network} {v.Budget.TotalMinutes:0.#} min {(v.Faster ? "met" : "missed")}")));
        var panels = lines.GroupBy(l => l.Network).Select(g => Plots.LineChart(g.Key, "seconds", "test accuracy", g.Select(l => l.Line))).ToList();
        if (panels.Count > 0)
        {
            Plots.SideBySide(panels, chart, 600, 450);
            report.Line($"Frontier: {chart}.");
        }
    }

    // Epochs trained within the budget, each measured on the test images, with the time since the run's start; a run stopped
    // part-way keeps its last whole epoch.
    private static List<(AgdEpoch Epoch, double Elapsed)> Train(LabelledImageSet train, LabelledImageSet test, AgdImageClassificationTrainer.Options options, int? batch, TimeSpan budget)
    {
        options.BatchSize = batch;
        using var harness = new BaselineTraining(train, test, options);
        using var network = harness.InitialNetwork();
        using var agd = new AgdOptimizer(network) { Norm = options.StepNorm };
        using var stop = new CancellationTokenSource(budget);
        var epochs = new List<(AgdEpoch, double)>();
        var clock = Stopwatch.StartNew();
        harness.Loop(network, agd).Run(harness.Train, harness.Test, 0, 10_000, e => epochs.Add((e, clock.Elapsed.TotalSeconds)), stop.Token);
        return epochs;
    }

    // An epoch's images per second, its evaluation on the test images included.
    private static double ImagesPerSecond(AgdEpoch epoch, LabelledImageSet train) => train.Rows.Count / epoch.Seconds;

    private static IReadOnlyList<(double X, double Y)> Frontier(IReadOnlyList<(AgdEpoch Epoch, double Elapsed)> epochs)
        => epochs.Select(e => (e.Elapsed, e.Epoch.ValidationAccuracy!.Value)).ToList();
}

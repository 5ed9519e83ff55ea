using Microsoft.ML.Agd.Samples.Charts;
using Microsoft.ML.Agd.Training;
using Microsoft.ML.Agd.Samples.Networks;

namespace Microsoft.ML.Agd.Benchmarks;

/// <summary>
/// Section 12: "no tuning", measured. Every architecture at every batch size, each with what a user takes without
/// tuning: AGD with nothing set, Adam at 1e-3, SGD at 0.1; and, for the FCN rows, the best of Adam's five-value grid.
/// The same initial weights, batches and loss (the default, square) for every optimizer of a cell.
/// </summary>
internal static class OutOfTheBoxBenchmark
{
    private static readonly int[] s_batchSizes = [32, 128, 512, 2048];
    private const int FcnEpochs = 3, ConvolutionalEpochs = 2, ConvolutionalRows = 10_000, FcnWidth = 256;

    private sealed record Row(string Name, AgdImageClassificationTrainer.Options Options, bool Subset, bool Grid);

    private static IEnumerable<Row> Rows()
    {
        foreach (int depth in new[] { 2, 8, 32 })
            yield return new($"FCN depth {depth}", new() { Architecture = AgdArchitecture.Fcn, Depth = depth, Width = FcnWidth }, Subset: false, Grid: true);
        yield return new("ResNet-18 bw 8", new() { Architecture = AgdArchitecture.ResNet18, BaseWidth = 8 }, Subset: true, Grid: false);
        yield return new("ResNet-50 bw 8", new() { Architecture = AgdArchitecture.ResNet50, BaseWidth = 8 }, Subset: true, Grid: false);
        yield return new("VGG-16 bw 8", new() { NetworkFactory = SampleNetworks.Factory("vgg16", 8) }, Subset: true, Grid: false);
    }

    public static void Run(Report report, LabelledImageSet train, LabelledImageSet test, string chart)
    {
        report.Section("12. Out of the box", $"Final test accuracy on {test.Rows.Count} test images. FCN rows (width {FcnWidth}): all {train.Rows.Count} " +
            $"training images, {FcnEpochs} epochs. ResNet and VGG rows: the first {ConvolutionalRows} training images, {ConvolutionalEpochs} epochs. " +
            "Square loss (the default) for every optimizer; the same initial weights and batches within a cell.");
        var rows = Rows().Where(r => RowFilter.Keep(r.Name)).ToList();
        var panels = Panels(rows.Count);
        var table = new List<IReadOnlyList<string>>();
        for (int r = 0; r < rows.Count; r++)
            for (int b = 0; b < s_batchSizes.Length; b++)
            {
                if (!RowFilter.KeepBatch(s_batchSizes[b]))
                    continue;
                var row = rows[r];
                row.Options.BatchSize = s_batchSizes[b];
                using var harness = new BaselineTraining(Data(train, row.Subset), test, row.Options);
                int epochs = row.Subset ? ConvolutionalEpochs : FcnEpochs;
                var agd = harness.Agd(epochs);
                var adam = harness.Baseline(Optimizer.Adam, 1e-3, epochs);
                var sgd = harness.Baseline(Optimizer.Sgd, 0.1, epochs);
                var grid = row.Grid
                    ? CompareSettings.DefaultGrid.Select(lr => lr == 1e-3 ? adam : harness.Baseline(Optimizer.Adam, lr, epochs)).MaxBy(Accuracy)
                    : null;
                foreach (var (panel, run) in panels.Zip(new[] { agd, adam, sgd, grid }))
                    if (run is not null)
                        panel.Values[r, b] = Accuracy(run);
                table.Add([row.Name, $"{s_batchSizes[b]}", Cell(agd), Cell(adam), Cell(sgd), grid is null ? "not run" : $"{Cell(grid)} (lr {grid.LearningRate:0.#####})",
                    grid is null ? "" : $"{(Accuracy(agd) - Accuracy(grid)) * 100:+0.00;-0.00}"]);
                Console.WriteLine(string.Join(" | ", table[^1]));
            }
        report.Table(["architecture", "batch", "AGD", "Adam 1e-3", "SGD 0.1", "Adam, best of grid", "AGD minus best Adam (points)"], table);
        Plots.HeatMaps(panels, rows.Select(r => r.Name).ToList(), s_batchSizes.Select(b => $"{b}").ToList(), chart);
        Verdicts(report, panels, rows);
        report.Line($"Heat maps: {chart}.");
    }

    /// <summary>
    /// Section 12's heat maps and verdicts drawn again from its printed tables, for a matrix measured in parts (a row at a
    /// time, with <c>AGD_NETWORKS</c>): the files' table rows in section 12's columns, a later file's cell replacing an
    /// earlier one's.
    /// </summary>
    public static void FromTables(Report report, IReadOnlyList<string> files, string chart)
    {
        // | architecture | batch | AGD | Adam 1e-3 | SGD 0.1 | Adam, best of grid | ...
        var cells = new Dictionary<(string Row, int Batch), string[]>();
        foreach (var line in files.SelectMany(File.ReadLines))
            if (line.Split('|', StringSplitOptions.TrimEntries) is { Length: >= 8 } c && int.TryParse(c[2], out int batch) && s_batchSizes.Contains(batch))
                cells[(c[1], batch)] = c[3..7];
        var rows = Rows().Where(r => s_batchSizes.Any(b => cells.ContainsKey((r.Name, b)))).ToList();
        var panels = Panels(rows.Count);
        for (int r = 0; r < rows.Count; r++)
            for (int b = 0; b < s_batchSizes.Length; b++)
                if (cells.TryGetValue((rows[r].Name, s_batchSizes[b]), out var values))
                    for (int p = 0; p < panels.Count; p++)
                        panels[p].Values[r, b] = Percent(values[p]);
        report.Section("12. Out of the box, from tables", $"Cells read from {string.Join(", ", files)}; rows: {string.Join(", ", rows.Select(r => r.Name))}.");
        Plots.HeatMaps(panels, [.. rows.Select(r => r.Name)], [.. s_batchSizes.Select(b => $"{b}")], chart);
        Verdicts(report, panels, rows);
        report.Line($"Heat maps: {chart}.");
    }

    // "88.70 %" or "87.82 % (lr 0.0001)"; anything else (diverged, not run) is no number.
    private static double Percent(string cell)
        => double.TryParse(cell.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture, out double percent) && cell.Contains('%') ? percent / 100 : double.NaN;

    private static List<(string Title, double[,] Values)> Panels(int rows)
        => [.. new[] { "AGD, nothing set", "Adam lr 1e-3", "SGD lr 0.1", "Adam, best of 1e-5..1e-1" }.Select(t => (t, Nan(rows)))];

    /// <summary>
    /// Section 15: what averaging the weights over the last tenth of the steps (<see cref="IterateAverage"/>, which the
    /// language model's training uses) does for AGD: section 12's cells, and ResNet-18 at section 9's settings, each
    /// read on the test images with its last weights and with the average (batch norms recomputed for each), from one run;
    /// a second run with Nesterov momentum on the gradients (the language model's diagnostic), averaged; and, for ResNet-18,
    /// Adam at section 9's best grid value read both ways, to show what averaging would give Adam's side.
    /// </summary>
    public static void Averaged(Report report, LabelledImageSet train, LabelledImageSet test)
    {
        report.Section("15. AGD's weights averaged", $"Test accuracy and loss on {test.Rows.Count} images, AGD with nothing set, with the last weights and with their " +
            $"mean over the last tenth of the steps, from one run. Section 12's cells (FCN rows: width {FcnWidth}, {FcnEpochs} epochs, all {train.Rows.Count} " +
            $"training images; ResNet and VGG rows: the first {ConvolutionalRows} images, {ConvolutionalEpochs} epochs; square loss); ResNet-18 at section 9's " +
            "settings (base width 8, batch 64, cross-entropy, 3 epochs, all training images).");
        var resNet = new AgdImageClassificationTrainer.Options { Architecture = AgdArchitecture.ResNet18, BaseWidth = 8, Loss = AgdLoss.CrossEntropy };
        var cells = new List<(string Name, AgdImageClassificationTrainer.Options Options, int Batch, int Epochs, bool Subset, double? AdamRate)>(
            Rows().SelectMany(r => s_batchSizes.Select(batch => (r.Name, r.Options, batch, r.Subset ? ConvolutionalEpochs : FcnEpochs, r.Subset, (double?)null))))
        {
            ("Section 9: ResNet-18 bw 8", resNet, 64, 3, false, 0.01), // Adam's best grid value in section 9
        };
        var table = new List<IReadOnlyList<string>>();
        foreach (var (name, options, batch, epochs, subset, adamRate) in cells.Where(c => RowFilter.Keep(c.Name)))
        {
            options.BatchSize = batch;
            using var harness = new BaselineTraining(Data(train, subset), test, options);
            var (last, mean) = LastAndAveraged(harness, options, epochs, network => AgdStep(network, options, nesterov: false));
            var (_, nesterov) = LastAndAveraged(harness, options, epochs, network => AgdStep(network, options, nesterov: true));
            var adam = adamRate is { } lr
                ? LastAndAveraged(harness, options, epochs, network => TorchSharp.torch.optim.Adam(network.parameters(), lr))
                : default;
            table.Add([name, $"{batch}", $"{last.Accuracy:P2}", $"{mean.Accuracy:P2}", $"{(mean.Accuracy - last.Accuracy) * 100:+0.00;-0.00}", $"{last.Loss:F4}", $"{mean.Loss:F4}",
                $"{nesterov.Accuracy:P2}", adamRate is null ? "not run" : $"{adam.Last.Accuracy:P2} / {adam.Averaged.Accuracy:P2} (lr {adamRate})"]);
            Console.WriteLine(string.Join(" | ", table[^1]));
        }
        report.Table(["network", "batch", "AGD, last weights", "AGD, averaged", "difference (points)", "test loss, last", "test loss, averaged",
            "diagnostic: Nesterov momentum 0.9, averaged", "Adam, last / averaged"], table);
    }

    // The convolutional rows train on the first images only: the matrix must fit in about 45 minutes on 2 cores.
    private static LabelledImageSet Data(LabelledImageSet train, bool subset) => subset ? train with { Rows = train.Rows.Take(ConvolutionalRows).ToList() } : train;

    private static TorchSharp.torch.optim.Optimizer AgdStep(TorchSharp.torch.nn.Module network, AgdImageClassificationTrainer.Options options, bool nesterov)
    {
        var agd = new AgdOptimizer(network) { Norm = options.StepNorm };
        return nesterov ? StepVariants.WithMomentum(agd, 0.9, nesterov: true) : agd;
    }

    // One run from the harness's initial weights, read with its last weights and with their average.
    private static ((double Loss, double Accuracy) Last, (double Loss, double Accuracy) Averaged) LastAndAveraged(
        BaselineTraining harness, AgdImageClassificationTrainer.Options options, int epochs, Func<TorchSharp.torch.nn.Module, TorchSharp.torch.optim.Optimizer> optimizer)
    {
        using var network = harness.InitialNetwork();
        var step = optimizer(network);
        using var average = new IterateAverage(network, epochs * (int)Math.Ceiling(harness.Train.Count / (double)options.BatchSize!.Value));
        var loop = harness.Loop(network, StepVariants.After(step, () => average.Add()));
        loop.Run(harness.Train, null, 0, epochs, _ => { }, CancellationToken.None); // batch norms recomputed for the last weights
        var last = loop.Evaluate(harness.Test);
        average.CopyTo();
        BatchNormStatistics.Recompute(network, harness.Train, options.BatchSize!.Value, TorchSharp.torch.CPU, options.Seed);
        return (last, loop.Evaluate(harness.Test));
    }

    private static void Verdicts(Report report, IReadOnlyList<(string Title, double[,] Values)> panels, IReadOnlyList<Row> rows)
    {
        var cells = Enumerable.Range(0, rows.Count).SelectMany(r => Enumerable.Range(0, s_batchSizes.Length).Select(b => (r, b))).ToList();
        double Value(int panel, (int r, int b) cell) => panels[panel].Values[cell.r, cell.b];
        int trained = cells.Count(c => !double.IsNaN(Value(0, c)) && Value(0, c) > Chance);
        report.Verdict("AGD trains every cell (no NaN, no divergence, above chance)", trained == cells.Count, $"{trained} of {cells.Count}");
        var gridCells = cells.Where(c => rows[c.r].Grid).ToList();
        int close = gridCells.Count(c => Value(0, c) >= Value(3, c) - 0.01);
        report.Verdict("AGD within 1 point of the best Adam grid value in at least 80 % of the cells where the grid ran", gridCells.Count == 0 ? null : close >= 0.8 * gridCells.Count,
            $"{close} of {gridCells.Count}");
        var convolutional = cells.Where(c => !rows[c.r].Grid).ToList();
        int aheadOfAdam = convolutional.Count(c => Value(0, c) > Value(1, c));
        report.Verdict("AGD ahead of Adam at 1e-3 in at least 75 % of the convolutional cells", convolutional.Count == 0 ? null : aheadOfAdam >= 0.75 * convolutional.Count,
            $"{aheadOfAdam} of {convolutional.Count}");
        var failed = cells.Where(c => Failed(Value(1, c)) || Failed(Value(2, c))).ToList();
        int ahead = failed.Count(c => Value(0, c) > (Failed(Value(1, c)) ? Value(1, c) : 0) && Value(0, c) > (Failed(Value(2, c)) ? Value(2, c) : 0));
        report.Verdict("AGD ahead of default Adam and SGD wherever they fail (diverge or stay within 5 points of chance)", ahead == failed.Count, $"{ahead} of {failed.Count} such cells");
    }

    private const double Chance = 0.1;

    private static bool Failed(double accuracy) => double.IsNaN(accuracy) || accuracy <= Chance + 0.05;

    // A diverged run's accuracy is NaN: not a number to compare, a cell to mark.
    private static double Accuracy(OptimizerRun run) => run.Diverged || run.Curve.Count == 0 ? double.NaN : run.FinalTestAccuracy;

    private static string Cell(OptimizerRun run) => run.Diverged ? "diverged" : $"{run.FinalTestAccuracy:P2}";

    private static double[,] Nan(int rows)
    {
        var values = new double[rows, s_batchSizes.Length];
        for (int r = 0; r < rows; r++)
            for (int b = 0; b < s_batchSizes.Length; b++)
                values[r, b] = double.NaN;
        return values;
    }
}

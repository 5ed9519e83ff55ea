using Microsoft.ML.Agd.Samples.Charts;
namespace Microsoft.ML.Agd.Samples.Jobs;

/// <summary>What <c>agd compare</c> compares: one AGD run against Adam and SGD over a learning-rate grid.</summary>
internal sealed record CompareSettings
{
    /// <summary>The learning rates tried for Adam and for SGD.</summary>
    public static readonly double[] DefaultGrid = [1e-5, 1e-4, 1e-3, 1e-2, 1e-1];

    /// <summary>The model, data and training settings shared by every run.</summary>
    public TrainSettings Train { get; init; } = new();

    /// <summary>The learning-rate grid.</summary>
    public IReadOnlyList<double> Grid { get; init; } = DefaultGrid;
}

/// <summary>Every run of a comparison, and the figures that sum it up.</summary>
internal sealed record Comparison(OptimizerRun Agd, IReadOnlyList<OptimizerRun> Grid, string Data, int TrainImages, int TestImages)
{
    /// <summary>The grid run with the best final test accuracy for an optimizer.</summary>
    public OptimizerRun BestOf(Optimizer optimizer) => Grid.Where(r => r.Optimizer == optimizer).MaxBy(r => r.FinalTestAccuracy)!;

    /// <summary>Total wall time of the grid.</summary>
    public double GridSeconds => Grid.Sum(r => r.Seconds);

    /// <summary>A markdown table of every run, then the summary lines.</summary>
    public string ToMarkdown()
    {
        var lines = new List<string>
        {
            $"Data: {Data} ({TrainImages} training, {TestImages} test images)",
            "",
            CompareJob.TableHeader,
            "|---|---:|---:|---:|---:|",
        };
        foreach (var run in Grid.Prepend(Agd))
            lines.Add($"| {run.Name}{(run.Diverged ? " (diverged)" : "")} | {run.FinalTestAccuracy:P2} | {run.BestTestAccuracy:P2} | {run.FinalTrainLoss:F4} | {run.Seconds:F1} |");
        var adam = BestOf(Optimizer.Adam);
        lines.Add("");
        lines.Add($"AGD (one run): {Agd.FinalTestAccuracy:P2} in {Agd.Seconds:F1} s. Best Adam ({adam.Name}): {adam.FinalTestAccuracy:P2}; " +
                  $"AGD - best Adam = {(Agd.FinalTestAccuracy - adam.FinalTestAccuracy) * 100:+0.00;-0.00} points.");
        lines.Add($"Grid total: {GridSeconds:F1} s for {Grid.Count} runs; AGD used {Agd.Seconds / (Agd.Seconds + GridSeconds):P1} of all compute " +
                  $"({Agd.Seconds / GridSeconds:F3} of the grid's).");
        return string.Join(Environment.NewLine, lines);
    }
}

/// <summary>Runs AGD once and Adam and SGD at every learning rate of the grid, on the same network, data and batch order.</summary>
internal static class CompareJob
{
    /// <summary>Runs the comparison; <paramref name="onRun"/> hears of each run as it ends.</summary>
    public static Comparison Run(CompareSettings settings, Action<OptimizerRun>? onRun = null, CancellationToken cancellation = default)
    {
        var s = settings.Train;
        var (train, test) = s.Data.Load();
        using var harness = new BaselineTraining(train, test, s.Trainer);
        OptimizerRun Report(OptimizerRun run) { onRun?.Invoke(run); return run; }
        // A comparison is whole or not at all: a stopped run ends it.
        OptimizerRun Whole(OptimizerRun run)
        {
            cancellation.ThrowIfCancellationRequested();
            return Report(run);
        }
        var agd = Whole(harness.Agd(s.Trainer.NumberOfEpochs, cancellation));
        var grid = new List<OptimizerRun>();
        foreach (var optimizer in new[] { Optimizer.Adam, Optimizer.Sgd })
            foreach (double lr in settings.Grid)
                grid.Add(Whole(harness.Baseline(optimizer, lr, s.Trainer.NumberOfEpochs, cancellation)));
        return new Comparison(agd, grid, train.Description, train.Rows.Count, test.Rows.Count);
    }

    /// <summary>What a comparison folder holds.</summary>
    public static readonly string[] Files = ["compare.md", "compare.png"];

    /// <summary>The first row of compare.md's table, by which an image comparison is told from a language model's.</summary>
    public const string TableHeader = "| run | final test accuracy | best test accuracy | final training loss | wall time (s) |";

    /// <summary>
    /// Checks, before any work, that the folder is new, empty or an earlier comparison of the same verb's, and can be
    /// replaced whole: `agd compare` and `agd lm compare` write files of the same names, told apart by compare.md's table.
    /// </summary>
    /// <param name="folder">The folder.</param>
    /// <param name="languageModels">Whether `agd lm compare` writes it.</param>
    /// <exception cref="IOException">It cannot; the message names -o, the folder and why.</exception>
    public static void CheckOutput(string folder, bool languageModels = false)
    {
        OutputFolder.CheckReplaceable(folder, "-o", Files, [], "comparison folder");
        string table = Path.Combine(folder, Files[0]);
        string other = languageModels ? TableHeader : Language.LanguageModelComparison.TableHeader;
        if (File.Exists(table) && Data.InputFile.ReadAllText(table).Contains(other, StringComparison.Ordinal))
            throw new IOException($"The output folder (-o) '{folder}' holds the comparison that agd {(languageModels ? "compare" : "lm compare")} wrote, " +
                $"and a new comparison replaces the whole folder; choose a new or empty folder, or an earlier comparison of agd {(languageModels ? "lm compare" : "compare")}.");
    }

    /// <summary>Writes the folder whole: compare.md (the table) and compare.png (every run's test accuracy per epoch); returns their paths.</summary>
    public static (string Table, string Chart) Write(Comparison comparison, string folder)
    {
        CheckOutput(folder);
        OutputFolder.WriteWhole(folder, staging =>
        {
            File.WriteAllText(Path.Combine(staging, Files[0]), comparison.ToMarkdown() + Environment.NewLine);
            var lines = comparison.Grid.Prepend(comparison.Agd)
                .Select(r => new Plots.Line(r.Name, r.Curve.Select(p => ((double)p.Epoch, p.TestAccuracy)).ToList(), Bold: r == comparison.Agd, Dashed: r.Optimizer == Optimizer.Sgd));
            Plots.Save(Plots.LineChart("Test accuracy per epoch: AGD (one run) against the learning-rate grids", "epoch", "test accuracy", lines), Path.Combine(staging, Files[1]), 1100, 650);
        });
        return (Path.Combine(folder, Files[0]), Path.Combine(folder, Files[1]));
    }
}

using Microsoft.ML.Agd.Optim;
using Microsoft.ML.Agd.Samples.Charts;
using System.Globalization;
using System.Text;

namespace Microsoft.ML.Agd.Samples.Language;

/// <summary>
/// AGD's one run against AdamW over a learning-rate grid (nanoGPT's schedule), on the same GPT, initial weights and
/// batches: the table and the validation curves of <c>agd lm compare</c>.
/// </summary>
internal static class LanguageModelComparison
{
    /// <summary>AdamW's peak learning rates: half decades around nanoGPT's 1e-3 for this model.</summary>
    public static readonly IReadOnlyList<double> Grid = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2];

    /// <summary>Trains AGD, then AdamW at each grid point; <paramref name="onRun"/> hears of each run as it ends.</summary>
    public static IReadOnlyList<LanguageModelRun> Run(LanguageModelTraining training, Action<LanguageModelRun>? onRun = null, CancellationToken cancellation = default)
    {
        var runs = new List<LanguageModelRun>();
        void Add(LanguageModelRun run) { runs.Add(run); onRun?.Invoke(run); }
        using (var model = training.InitialModel())
        using (var agd = new AgdOptimizer(model))
            Add(training.Train(model, agd, "AGD", null, averageWeights: true, cancellation: cancellation));
        foreach (double lr in Grid)
        {
            cancellation.ThrowIfCancellationRequested();
            using var model = training.InitialModel();
            using var adamW = new NanoGptAdamW(model, lr, training.Settings.Iterations);
            Add(training.Train(model, adamW, "AdamW", lr, averageWeights: false, cancellation: cancellation));
        }
        return runs;
    }

    /// <summary>The first row of compare.md's table, by which a language models' comparison is told from an image comparison.</summary>
    public const string TableHeader = "| optimizer | validation loss | training loss | s per iteration | time / AdamW's |";

    /// <summary>A Markdown table: each run's last losses, its seconds per iteration, and that time as a multiple of AdamW's mean.</summary>
    public static string ToMarkdown(IReadOnlyList<LanguageModelRun> runs)
    {
        double adamw = runs.Where(r => r.LearningRate is not null).Select(r => r.SecondsPerIteration).DefaultIfEmpty(double.NaN).Average();
        var best = runs.Where(r => r.LearningRate is not null && !r.Diverged).MinBy(r => r.FinalValidationLoss);
        var table = new StringBuilder(TableHeader + "\n|---|---:|---:|---:|---:|\n");
        foreach (var run in runs)
        {
            string mark = run == best ? " (best AdamW)" : "";
            string losses = run.Diverged ? "diverged | diverged" : string.Create(CultureInfo.InvariantCulture, $"{run.Curve[^1].ValidationLoss:F3} | {run.Curve[^1].TrainLoss:F3}");
            table.Append(CultureInfo.InvariantCulture, $"| {run.Name}{mark} | {losses} | {run.SecondsPerIteration:F4} | {run.SecondsPerIteration / adamw:F2}x |\n");
        }
        return table.ToString().TrimEnd();
    }

    /// <summary>Every run's validation loss per iteration, AGD's bold, in one chart.</summary>
    public static void Plot(IReadOnlyList<LanguageModelRun> runs, string title, string path)
    {
        var lines = runs.Select(r => new Plots.Line(r.Name, r.Curve.Select(p => ((double)p.Iteration, p.ValidationLoss)).ToList(), Bold: r.LearningRate is null));
        Plots.Save(Plots.LineChart(title, "iteration", "validation loss (nats per token)", lines), path, 1000, 620);
    }
}

using Microsoft.ML.Agd.Models;
using Microsoft.ML.Agd.Search;
using Microsoft.ML.Agd.Training;
using Microsoft.ML.Agd.Samples.Data;
using Spectre.Console;
namespace Microsoft.ML.Agd.Samples.Jobs;

/// <summary>What <c>agd search</c> searches.</summary>
internal sealed record SearchSettings
{
    /// <summary>IDX folder or image folder; null for the default Fashion-MNIST.</summary>
    public string? Data { get; init; }
    /// <summary>Wall time of the search.</summary>
    public TimeSpan Budget { get; init; } = TimeSpan.FromMinutes(10);
    /// <summary>Shape images of an image folder are resized to.</summary>
    public AgdImageShape ImageShape { get; init; } = DataSets.DefaultImageShape;
    /// <summary>Share of an image folder held out for testing.</summary>
    public double TestFraction { get; init; } = DataSets.DefaultTestFraction;
    /// <summary>Seed of everything.</summary>
    public int Seed { get; init; }
    /// <summary>Where the leaderboard, chart and best model go.</summary>
    public string Output { get; init; } = "agd-search";
    /// <summary>First-rung configurations.</summary>
    public int InitialTrials { get; init; } = new AgdSearchOptions().InitialTrials;
    /// <summary>Losses to try; empty for the search's default.</summary>
    public IList<AgdLoss> Losses { get; init; } = [];
    /// <summary>Families to try; empty for the search's default.</summary>
    public IList<AgdArchitecture> Architectures { get; init; } = [];
    /// <summary>FCN depths to try; empty for the search's default.</summary>
    public IList<int> Depths { get; init; } = [];
    /// <summary>FCN widths to try; empty for the search's default.</summary>
    public IList<int> Widths { get; init; } = [];
    /// <summary>ResNet base widths to try; empty for the search's default.</summary>
    public IList<int> BaseWidths { get; init; } = [];
    /// <summary>Batch sizes to try; empty for the search's default.</summary>
    public IList<int> BatchSizes { get; init; } = [];
}

/// <summary>
/// A finished search: its result (whose best model is disposed once written to the folder), the best model's test
/// metrics, the summary lines, and the leaderboard with them as markdown (leaderboard.md).
/// </summary>
internal sealed record SearchOutcome(AgdSearchResult Result, Evaluation Test, IReadOnlyList<string> Summary, string Report);

/// <summary>Runs a model search on a data set and writes leaderboard.md, search.png and the best model (as <c>agd train</c> writes one).</summary>
internal static class SearchJob
{
    /// <summary>Runs the search; the training set's held-out share judges trials, the test set the best model.</summary>
    public static SearchOutcome Run(SearchSettings settings, IProgress<AgdTrial>? progress = null, CancellationToken cancellation = default)
    {
        var ml = new MLContext(settings.Seed);
        // The options first, then the output folder, then the data: each mistake is named before any work is done.
        var search = ml.MulticlassClassification.Trainers.AgdSearch(new AgdSearchOptions
        {
            Budget = settings.Budget, Seed = settings.Seed, InitialTrials = settings.InitialTrials, Progress = progress, CancellationToken = cancellation,
            Losses = settings.Losses, Architectures = settings.Architectures, Depths = settings.Depths, Widths = settings.Widths, BaseWidths = settings.BaseWidths, BatchSizes = settings.BatchSizes,
        });
        var folder = new ModelFolder(settings.Output);
        folder.CheckWritable();
        var (train, test) = DataSets.Load(settings.Data, settings.ImageShape, settings.TestFraction, settings.Seed);
        var keys = train.LabelKeys(ml);
        AgdSearchResult result;
        try
        {
            result = search.Fit(keys.Transform(train.ToDataView(ml)));
        }
        catch (OperationCanceledException e)
        {
            throw new OperationCanceledException($"{e.Message} No model was written{(Directory.Exists(folder.Path) ? $"; '{folder.Path}' still holds the earlier one" : "")}.", e);
        }
        using var bestModel = result.BestModel; // written below; disposing it deletes its temporary ONNX file
        var evaluation = Evaluation.Of(ml, result.BestModel, test);

        var best = result.Best;
        var summary = new List<string>
        {
            $"Best: {best.Configuration}, {best.EpochsText}, validation accuracy {best.ValidationAccuracy:P2}; test accuracy {evaluation.Accuracy:P2} on {test.Rows.Count} images.",
            $"The search took {result.Elapsed.TotalSeconds:F0} s of a {settings.Budget.TotalSeconds:F0} s budget{(cancellation.IsCancellationRequested ? " (stopped by Ctrl+C)" : "")}; its {result.Trials.Count} trials took {result.TrialSeconds:F0} s.",
            $"With Adam or SGD, each trial would need a learning-rate grid: with five values the same search would take about {result.GridSearchSeconds(5):F0} s ({result.GridSearchSeconds(5) / 60:F0} minutes), five times as long.",
        };
        string report = Leaderboard(result, summary);
        folder.WriteWhole(staging =>
        {
            staging.WriteModel(ml, result.BestModel, train);
            File.WriteAllText(staging.File("leaderboard.md"), report);
            SearchChart(result, staging.File("search.png"));
        });
        return new SearchOutcome(result, evaluation, summary, report);
    }

    private static string Leaderboard(AgdSearchResult result, IEnumerable<string> summary)
    {
        var lines = new List<string> { "| rank | configuration | rung | epochs | kept epoch | validation accuracy | seconds |", "|---:|---|---:|---:|---:|---:|---:|" };
        lines.AddRange(result.Leaderboard.Select((t, i) => $"| {i + 1} | {t.Configuration} | {t.Rung} | {t.Epochs:0.##} | {t.BestEpoch:0.##} | {t.ValidationAccuracy:P2} | {t.Seconds:F1} |"));
        lines.AddRange(result.Trials.Where(t => t.Error is not null).Select(t => $"| - | {t.Configuration} | {t.Rung} | {t.Epochs:0.##} | - | failed: {t.Error} | {t.Seconds:F1} |"));
        return string.Join(Environment.NewLine, lines.Append("").Concat(summary)) + Environment.NewLine;
    }

    // One line per configuration: its validation accuracy at the time each of its trials ended.
    private static void SearchChart(AgdSearchResult result, string path)
    {
        var lines = result.Trials.Where(t => t.ValidationAccuracy is not null).GroupBy(t => t.Configuration)
            .Select(g => new Charts.Charts.Line(g.Key.ToString(), g.Select(t => (t.FinishedAt, t.ValidationAccuracy!.Value)).ToList()));
        Charts.Charts.Save(Charts.Charts.LineChart("Model search: validation accuracy of each trial when it ended", "seconds since the search began", "validation accuracy", lines), path, 1100, 650);
    }
}

using Microsoft.ML.Agd.Samples.Charts;
using Microsoft.ML.Agd.Samples.Data;
using Microsoft.ML.Agd.Search;
namespace Microsoft.ML.Agd.Samples.Jobs;

/// <summary>What <c>agd search</c> searches, on what, and where it writes the best model.</summary>
internal sealed record SearchSettings
{
    /// <summary>The data.</summary>
    public DataSettings Data { get; init; } = new();

    /// <summary>The search's options, as the command line set them: the library's defaults for the rest.</summary>
    public AgdSearchOptions Search { get; init; } = new();

    /// <summary>Where the leaderboard, chart and best model go.</summary>
    public string Output { get; init; } = "agd-search";
}

/// <summary>
/// A finished search: its result (whose best model is disposed once written to the folder), the best model's test
/// metrics, the summary lines, and the leaderboard with them as markdown (leaderboard.md).
/// </summary>
internal sealed record SearchOutcome(AgdSearchResult Result, Evaluation Test, IReadOnlyList<string> Summary, string Report);

/// <summary>
/// Runs a model search on a data set and writes leaderboard.md, search.png, report.html and the best model (as <c>agd train</c>
/// writes one, with train/ for the winning configuration).
/// </summary>
internal static class SearchJob
{
    /// <summary>Runs the search; the training set's held-out share judges trials, the test set the best model.</summary>
    /// <param name="settings">What to search; its search options get <paramref name="progress"/> and <paramref name="cancellation"/>.</param>
    /// <param name="progress">Hears of each trial.</param>
    /// <param name="cancellation">Stops the search after the current batch; the best trial so far is written.</param>
    public static SearchOutcome Run(SearchSettings settings, IProgress<AgdTrial>? progress = null, CancellationToken cancellation = default)
    {
        // The options first, then the output folder, then the data: each mistake is named before any work is done.
        settings.Data.Validate();
        (settings.Search.Progress, settings.Search.CancellationToken, settings.Search.Communicator) = (progress, cancellation, Cli.JobRanks.Current);
        var ml = new MLContext(settings.Search.Seed);
        var search = ml.MulticlassClassification.Trainers.AgdSearch(settings.Search);
        var folder = new ModelFolder(settings.Output);
        var (train, test, fingerprint) = Cli.JobRanks.Together(() =>
        {
            if (Cli.JobRanks.IsFirst) // the job's other ranks search with it and write nothing
                folder.CheckWritable();
            var (read, held) = settings.Data.Load();
            return (read, held, RunConfiguration.Fingerprint(read, held));
        });
        Cli.JobRanks.AgreeOnRun(fingerprint); // the search checks its own options across ranks
        var keys = train.LabelKeys(ml);
        var result = Stopped.NothingWritten(folder.Path, null, "model", () => search.Fit(keys.Transform(train.ToDataView(ml))));
        using var bestModel = result.BestModel; // written below; disposing it deletes its temporary ONNX file
        var evaluation = Evaluation.Of(ml, result.BestModel, test);

        var best = result.Best;
        var summary = new List<string>
        {
            $"Best: {best.Configuration}, {best.EpochsText}, validation accuracy {best.ValidationAccuracy:P2}; test accuracy {evaluation.Accuracy:P2} on {test.Rows.Count} images.",
            $"The search took {result.Elapsed.TotalSeconds:F0} s of a {settings.Search.Budget.TotalSeconds:F0} s budget{(cancellation.IsCancellationRequested ? " (stopped by Ctrl+C or SIGTERM)" : "")}; its {result.Trials.Count} trials took {result.TrialSeconds:F0} s{OnRanks()}.",
        };
        string report = Leaderboard(result, summary);
        // The winner's configuration as agd train would run it: the training code and the report's configuration.
        var c = best.Configuration;
        var winner = RunConfiguration.Of(new TrainSettings
        {
            Data = settings.Data,
            Trainer = new()
            {
                Architecture = c.Architecture, Depth = c.Depth, Width = c.Width, BaseWidth = c.BaseWidth, BatchSize = c.BatchSize, Loss = c.Loss,
                NumberOfEpochs = (int)Math.Ceiling(best.Epochs), KeepBestEpoch = true, Seed = settings.Search.Seed,
            },
        }, settings.Data.Folder ?? DataSets.DefaultFolder, fingerprint);
        if (Cli.JobRanks.IsFirst) // every rank has the same result; one writes it
            folder.WriteWhole(staging =>
            {
                staging.WriteModel(ml, result.BestModel, train);
                File.WriteAllText(staging.File("leaderboard.md"), report);
                SearchChart(result, staging.File("search.png"));
                TrainingProject.Write(staging.TrainProject, winner, train.ClassNames);
                var content = new ModelReport.Content($"Model search: {c}", [("test accuracy", $"{evaluation.Accuracy:P2}"), ("macro accuracy", $"{evaluation.MacroAccuracy:P2}"),
                        ("log-loss", $"{evaluation.LogLoss:F4}"), ("search", summary[1]), ("tested on", $"{test.Rows.Count} images ({test.Description})")],
                    File.ReadAllBytes(staging.File("search.png")), File.ReadAllText(staging.Layers), null, "each trial's validation accuracy when it ended");
                File.WriteAllText(staging.Report, ModelReport.Html(content, evaluation));
            });
        return new SearchOutcome(result, evaluation, summary, report);
    }

    // How many ranks the trials ran on, in a search across MPI ranks.
    private static string OnRanks() => Cli.JobRanks.Current is { Size: > 1 } job ? $" on {job.Size} ranks" : "";

    private static string Leaderboard(AgdSearchResult result, IEnumerable<string> summary)
    {
        var lines = new List<string> { "| rank | configuration | rung | epochs | kept epoch | validation accuracy | seconds |", "|---:|---|---:|---:|---:|---:|---:|" };
        lines.AddRange(result.Leaderboard.Select((t, i) => $"| {i + 1} | {t.Configuration} | {t.Rung} | {t.Epochs:0.##} | {t.BestEpoch:0.##} | {t.ValidationAccuracy:P2} | {t.Seconds:F1} |"));
        lines.AddRange(result.Trials.Where(t => t.Error is not null).Select(t => $"| - | {t.Configuration} | {t.Rung} | {t.Epochs:0.##} | - | failed: {Cli.CliOptions.SearchListsAsFlags(t.Error!)} | {t.Seconds:F1} |"));
        return string.Join(Environment.NewLine, lines.Append("").Concat(summary)) + Environment.NewLine;
    }

    // One line per configuration: its validation accuracy at the time each of its trials ended.
    private static void SearchChart(AgdSearchResult result, string path)
    {
        var lines = result.Trials.Where(t => t.ValidationAccuracy is not null).GroupBy(t => t.Configuration)
            .Select(g => new Plots.Line(g.Key.ToString(), g.Select(t => (t.FinishedAt, t.ValidationAccuracy!.Value)).ToList()));
        Plots.Save(Plots.LineChart("Model search: validation accuracy of each trial when it ended", "seconds since the search began", "validation accuracy", lines), path, 1100, 650);
    }
}

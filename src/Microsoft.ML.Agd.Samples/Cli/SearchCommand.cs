using System.CommandLine;
using Microsoft.ML.Agd.Samples.Jobs;
using Spectre.Console;

namespace Microsoft.ML.Agd.Samples.Cli;

/// <summary><c>agd search</c>: finds an architecture size and batch size within a time budget, one AGD run per trial.</summary>
internal static class SearchCommand
{
    public static System.CommandLine.Command Create()
    {
        var data = CliOptions.Data();
        var budget = new Option<TimeSpan>("--budget") { Description = "Wall time of the whole search, as hh:mm:ss.", DefaultValueFactory = _ => TimeSpan.FromMinutes(10) };
        var imageSize = CliOptions.ImageSize();
        var grey = CliOptions.Grey();
        var testFraction = CliOptions.TestFraction();
        var seed = CliOptions.Seed();
        var output = CliOptions.Output("agd-search");
        var command = new System.CommandLine.Command("search", "Search FCN and ResNet sizes and batch sizes by successive halving within a time budget; print the leaderboard, plot it, save the best model.")
        {
            data, budget, imageSize, grey, testFraction, seed, output,
        };
        command.SetAction(result => CliOptions.Guard(() =>
        {
            var settings = new SearchSettings
            {
                Data = result.GetValue(data), Budget = result.GetValue(budget), Seed = result.GetValue(seed), Output = result.GetValue(output)!,
                ImageShape = new AgdImageShape(result.GetValue(grey) ? 1 : 3, result.GetValue(imageSize), result.GetValue(imageSize)),
                TestFraction = result.GetValue(testFraction),
            };
            AnsiConsole.MarkupLine($"Searching for {settings.Budget}; every trial is one AGD run.");
            var outcome = SearchJob.Run(settings, new SynchronousProgress<AgdTrial>(t => AnsiConsole.MarkupLine(Markup.Escape("  " + t))));
            Print(outcome);
            return 0;
        }));
        return command;
    }

    private static void Print(SearchOutcome outcome)
    {
        var table = new Table().AddColumns("rank", "configuration", "epochs", "validation accuracy", "seconds");
        foreach (var (trial, rank) in outcome.Result.Leaderboard.Select((t, i) => (t, i + 1)))
            table.AddRow($"{rank}", Markup.Escape(trial.Configuration.ToString()), $"{trial.Epochs}", $"{trial.ValidationAccuracy:P2}", $"{trial.Seconds:F1}");
        AnsiConsole.Write(table);
        foreach (var line in outcome.Summary)
            AnsiConsole.MarkupLine(Markup.Escape(line));
    }
}

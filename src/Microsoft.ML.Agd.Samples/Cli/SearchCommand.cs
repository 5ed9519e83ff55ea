using Microsoft.ML.Agd.Search;
using Microsoft.ML.Agd.Samples.Jobs;
namespace Microsoft.ML.Agd.Samples.Cli;

/// <summary><c>agd search</c>: finds an architecture size and batch size within a time budget, one AGD run per trial.</summary>
internal static class SearchCommand
{
    public static System.CommandLine.Command Create()
    {
        var data = new DataOptions();
        var budget = new Option<TimeSpan>("--budget") { Description = "Wall time of the whole search, as hh:mm:ss (a day or more as d.hh:mm:ss).", DefaultValueFactory = _ => TimeSpan.FromMinutes(10), CustomParser = CliOptions.Duration };
        var output = CliOptions.Output("agd-search");
        var architectures = CliOptions.NoCustom(CliOptions.NamesOnly<AgdArchitecture, Option<AgdArchitecture[]>>(
            List<AgdArchitecture>("--architectures", "Families to try (fcn, resnet18, ...). Default: fcn and resnet18."), CliOptions.OfferedArchitectures));
        var depths = List<int>("--depths", "FCN depths to try. Default: 2 3 4.");
        var widths = List<int>("--widths", "FCN widths to try. Default: powers of two from half to twice the image size (512 1024 for 28x28 grey images).");
        var baseWidths = List<int>("--base-widths", "ResNet base widths to try. Default: 8.");
        var batchSizes = List<int>("--batch-sizes", "Batch sizes to try. Default: 32 64 128 256.");
        var losses = CliOptions.NamesOnly<AgdLoss, Option<AgdLoss[]>>(List<AgdLoss>("--losses", "Losses to try (square, crossentropy). Default: crossentropy."));
        var trials = new Option<int>("--trials") { Description = "Configurations in the first rung of successive halving (on each rank, across MPI ranks).", DefaultValueFactory = _ => new AgdSearchOptions().InitialTrials };
        var command = new System.CommandLine.Command("search", "Search FCN and ResNet sizes and batch sizes by successive halving within a time budget; print the leaderboard, plot it, save the best model.")
        {
            budget, architectures, depths, widths, baseWidths, batchSizes, losses, trials, output,
        };
        data.AddTo(command);
        command.SetAction(result => CliOptions.Guard(() => StopSignals.Stoppable(cancellation =>
        {
            var chosen = data.Read(result);
            var settings = new SearchSettings
            {
                Data = chosen,
                Output = result.GetValue(output)!,
                Search = new()
                {
                    Budget = result.GetValue(budget), Seed = chosen.Seed, InitialTrials = result.GetValue(trials), Losses = result.GetValue(losses) ?? [],
                    Architectures = result.GetValue(architectures) ?? [], Depths = result.GetValue(depths) ?? [], Widths = result.GetValue(widths) ?? [],
                    BaseWidths = result.GetValue(baseWidths) ?? [], BatchSizes = result.GetValue(batchSizes) ?? [],
                },
            };
            CliOptions.SayConvolutionRemedy();
            AnsiConsole.MarkupLine($"Searching for {settings.Search.Budget}; every trial is one AGD run. Ctrl+C stops after the current batch and keeps the best model so far.");
            var outcome = SearchJob.Run(settings, new SynchronousProgress<AgdTrial>(t => AnsiConsole.MarkupLine(Markup.Escape("  " + CliOptions.SearchListsAsFlags(t.ToString())))), cancellation);
            Console.WriteLine();
            Console.Write(outcome.Report);
            return 0;
        })));
        return command;
    }

    // A space-separated list; empty means the search derives the values from the data.
    private static Option<T[]> List<T>(string name, string description) => new(name) { Description = description, AllowMultipleArgumentsPerToken = true };
}

using System.CommandLine;
using Microsoft.ML.Agd.Samples.Jobs;
using Spectre.Console;

namespace Microsoft.ML.Agd.Samples.Cli;

/// <summary><c>agd compare</c>: AGD's one run against Adam and SGD over a learning-rate grid.</summary>
internal static class CompareCommand
{
    public static System.CommandLine.Command Create()
    {
        var data = CliOptions.Data();
        var architecture = CliOptions.Architecture();
        var depth = CliOptions.Depth();
        var width = CliOptions.Width();
        var baseWidth = CliOptions.BaseWidth();
        var epochs = CliOptions.Epochs();
        var batchSize = CliOptions.BatchSize();
        var imageSize = CliOptions.ImageSize();
        var grey = CliOptions.Grey();
        var seed = CliOptions.Seed();
        var output = CliOptions.Output("agd-compare");
        var command = new System.CommandLine.Command("compare", "Train AGD once and Adam and SGD at learning rates 1e-5 to 1e-1 on the same network, data and batch order; print a table and plot every curve.")
        {
            data, architecture, depth, width, baseWidth, epochs, batchSize, imageSize, grey, seed, output,
        };
        command.SetAction(result => CliOptions.Guard(() =>
        {
            var settings = new CompareSettings
            {
                Train = new TrainSettings
                {
                    Data = result.GetValue(data), Architecture = result.GetValue(architecture), Depth = result.GetValue(depth),
                    Width = result.GetValue(width), BaseWidth = result.GetValue(baseWidth), Epochs = result.GetValue(epochs),
                    BatchSize = result.GetValue(batchSize), Seed = result.GetValue(seed),
                    ImageShape = new AgdImageShape(result.GetValue(grey) ? 1 : 3, result.GetValue(imageSize), result.GetValue(imageSize)),
                },
            };
            return Run(settings, result.GetValue(output)!);
        }));
        return command;
    }

    private static int Run(CompareSettings settings, string output)
    {
        AnsiConsole.MarkupLine($"Comparing AGD with Adam and SGD at {settings.Grid.Count} learning rates each, {settings.Train.Epochs} epochs per run.");
        var comparison = CompareJob.Run(settings, run => AnsiConsole.MarkupLine(Markup.Escape(
            $"  {run.Name}: test accuracy {run.FinalTestAccuracy:P2}{(run.Diverged ? " (diverged)" : "")}, {run.Seconds:F1} s")));
        Directory.CreateDirectory(output);
        string table = comparison.ToMarkdown();
        File.WriteAllText(Path.Combine(output, "compare.md"), table + Environment.NewLine);
        string chart = Path.Combine(output, "compare.png");
        CompareChart(comparison, chart);
        Console.WriteLine();
        Console.WriteLine(table);
        AnsiConsole.MarkupLine($"Wrote {Markup.Escape(Path.Combine(output, "compare.md"))} and {Markup.Escape(chart)}.");
        return 0;
    }

    private static void CompareChart(Comparison comparison, string path)
    {
        var lines = comparison.Grid.Prepend(comparison.Agd)
            .Select(r => new Charts.Charts.Line(r.Name, r.Curve.Select(p => ((double)p.Epoch, p.TestAccuracy)).ToList()));
        var model = Charts.Charts.LineChart("Test accuracy per epoch: AGD (one run) against the learning-rate grids", "epoch", "test accuracy", lines);
        Charts.Charts.Save(model, path, 1100, 650);
    }
}

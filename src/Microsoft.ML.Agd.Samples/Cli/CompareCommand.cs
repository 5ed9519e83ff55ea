using Microsoft.ML.Agd.Samples.Jobs;
namespace Microsoft.ML.Agd.Samples.Cli;

/// <summary><c>agd compare</c>: AGD's one run against Adam and SGD over a learning-rate grid.</summary>
internal static class CompareCommand
{
    public static System.CommandLine.Command Create() => TrainingOptions.Verb("compare",
        "Train AGD once and Adam and SGD at learning rates 1e-5 to 1e-1 on the same network, data and batch order; print a table and plot every curve.",
        "agd-compare", settings => Run(new CompareSettings { Train = settings }, settings.Output));

    private static int Run(CompareSettings settings, string output) => StopSignals.Stoppable(cancellation =>
    {
        settings.Train.Data.Validate();
        settings.Train.Trainer.Validate();
        output = OutputFolder.Normalize(output, "-o");
        CompareJob.CheckOutput(output);
        CliOptions.SayConvolutionRemedy();
        AnsiConsole.MarkupLine($"Comparing AGD with Adam and SGD at {settings.Grid.Count} learning rates each, {settings.Train.Trainer.NumberOfEpochs} epochs per run; " +
            "Ctrl+C stops and writes nothing.");
        var comparison = Stopped.NothingWritten(output, "Stopped before the comparison ended", "comparison", () => CompareJob.Run(settings, run => AnsiConsole.MarkupLine(Markup.Escape(
            $"  {run.Name}: test accuracy {run.FinalTestAccuracy:P2}{(run.Diverged ? " (diverged)" : "")}, {run.Seconds:F1} s")), cancellation));
        var (table, chart) = CompareJob.Write(comparison, output);
        Console.WriteLine();
        Console.WriteLine(comparison.ToMarkdown());
        AnsiConsole.MarkupLine($"Wrote {Markup.Escape(table)} and {Markup.Escape(chart)}.");
        return 0;
    });
}

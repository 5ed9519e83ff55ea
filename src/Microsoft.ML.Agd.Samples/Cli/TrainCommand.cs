using Microsoft.ML.Agd.Training;
using Microsoft.ML.Agd.Samples.Jobs;
namespace Microsoft.ML.Agd.Samples.Cli;

/// <summary><c>agd train</c>: trains through an ML.NET pipeline and writes the model, ONNX, metrics, curves and a snippet.</summary>
internal static class TrainCommand
{
    public static System.CommandLine.Command Create() => TrainingOptions.Verb("train",
        "Train an image classifier with AGD and write model.zip, model.onnx, metrics.json, curves.png, run.json (replay it with --config) and predict/ (a console project that classifies image files).",
        "agd-output", Run, replayable: true);

    private static int Run(TrainSettings settings) => StopSignals.Stoppable(cancellation =>
    {
        settings.Data.Validate();
        settings.Trainer.Validate(); // a mistake is named before anything is said about training
        CliOptions.SayConvolutionRemedy();
        if (settings.Replaying is { } replayed)
            foreach (string note in RunFile.ReplayNotes(replayed.Data, replayed.Ran))
                AnsiConsole.MarkupLine(Markup.Escape(note));
        string ranks = JobRanks.Current is { Size: > 1 } job ? $", across {job.Size} ranks" : "";
        AnsiConsole.MarkupLine($"Training [bold]{settings.NetworkName}[/] with AGD for {settings.Trainer.NumberOfEpochs} epoch{(settings.Trainer.NumberOfEpochs == 1 ? "" : "s")} ({(settings.Trainer.BatchSize is { } b ? $"batch {b}" : "automatic batch")}{ranks}); Ctrl+C stops and keeps the last whole epoch.");
        TrainResult? result = null;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask("loading data", maxValue: settings.Trainer.NumberOfEpochs);
                var progress = new SynchronousProgress<AgdEpoch>(e =>
                {
                    task.Description = Markup.Escape($"epoch {e.Epoch}: loss {e.TrainLoss:F3} acc {e.TrainAccuracy:P1} val {e.ValidationAccuracy:P1} eta {e.MeanEta:F3} batch {e.BatchSize}");
                    task.Value = e.Epoch;
                });
                task.Description = "training";
                result = TrainJob.Run(settings, progress, cancellation);
                task.Value = task.MaxValue;
            });
        Report(result!, settings.Replaying?.StoppedAfterEpoch);
        return 0;
    });

    private static void Report(TrainResult result, int? replayedStop)
    {
        if (result.Cancelled && replayedStop is { } stopped && result.History.Count == stopped)
            AnsiConsole.MarkupLine($"[yellow]Stopped after epoch {stopped}, as the replayed run was.[/]");
        else if (result.Cancelled)
            AnsiConsole.MarkupLine($"[yellow]Stopped during epoch {result.History.Count + 1}, which was undone; the model of epoch {result.History.Count} is saved.[/]");
        AnsiConsole.MarkupLine($"Trained on {result.TrainImages} images ({Markup.Escape(result.TrainedOn)}) in {result.Seconds:F1} s.");
        AnsiConsole.MarkupLine($"[bold]Test accuracy: {result.Test.Accuracy:P2}[/] (macro {result.Test.MacroAccuracy:P2}, log-loss {result.Test.LogLoss:F4}) on {result.TestImages} images.");
        var table = new Table().AddColumns("output", "path");
        foreach (var (name, path) in new[] { ("ML.NET model", result.Folder.Model), ("ONNX model", result.Folder.Onnx), ("AGD's layers", result.Folder.Layers), ("metrics", result.Folder.Metrics), ("training curves", result.Folder.Curves), ("run configuration", result.Folder.Run), ("report", result.Folder.Report), ("consumption project", result.Folder.PredictProject), ("training project", result.Folder.TrainProject) })
            if (File.Exists(path) || Directory.Exists(path))
                table.AddRow(name, Markup.Escape(path));
        AnsiConsole.Write(table);
    }
}

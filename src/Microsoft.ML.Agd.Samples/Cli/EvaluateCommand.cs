using Microsoft.ML.Agd.Samples.Jobs;
namespace Microsoft.ML.Agd.Samples.Cli;

/// <summary><c>agd evaluate</c>: a saved model's metrics, per-class table and confusion matrix on a data set.</summary>
internal static class EvaluateCommand
{
    public static System.CommandLine.Command Create()
    {
        var model = CliOptions.Model();
        var data = CliOptions.Data();
        var output = new Option<string?>("--output", "-o") { Description = "Folder for confusion.png and report.html (default: the model folder)." };
        var command = new System.CommandLine.Command("evaluate", "Evaluate a saved model: accuracy, macro/micro accuracy, log-loss, per-class table and confusion matrix (printed, confusion.png and report.html, a page with the most confident mistakes).")
        {
            model, data, output,
        };
        command.SetAction(result => CliOptions.Guard(() =>
        {
            var folder = new ModelFolder(result.GetValue(model), "-m");
            string chartFolder = result.GetValue(output) is { } given ? OutputFolder.Normalize(given, "-o") : folder.Path;
            EvaluateJob.CheckOutput(chartFolder, folder);
            var evaluation = EvaluateJob.Run(folder, result.GetValue(data));
            Print(evaluation); // the metrics first: they stand even if the chart cannot be written
            foreach (string written in EvaluateJob.WriteOutputs(evaluation, chartFolder, folder, result.GetValue(data) ?? Samples.Data.DataSets.DefaultFolder))
                AnsiConsole.MarkupLine($"Wrote {Markup.Escape(written)}.");
            return 0;
        }));
        return command;
    }

    private static void Print(Evaluation e)
    {
        AnsiConsole.MarkupLine($"[bold]Accuracy {e.Accuracy:P2}[/]  macro {e.MacroAccuracy:P2}  log-loss {e.LogLoss:F4}");
        var perClass = new Table().AddColumns("class", "images", "recall", "precision", "log-loss");
        foreach (var c in e.PerClass)
            perClass.AddRow(Markup.Escape(c.Class), $"{c.Images}", $"{c.Recall:P1}", $"{c.Precision:P1}", $"{c.LogLoss:F3}");
        AnsiConsole.Write(perClass);
        var confusion = new Table().AddColumn("true \\ predicted");
        foreach (var name in e.ClassNames)
            confusion.AddColumn(new TableColumn(Markup.Escape(name)).RightAligned());
        for (int t = 0; t < e.ClassNames.Count; t++)
            confusion.AddRow([Markup.Escape(e.ClassNames[t]), .. e.ConfusionMatrix[t].Select(v => $"{v:0}")]);
        AnsiConsole.Write(confusion);
    }
}

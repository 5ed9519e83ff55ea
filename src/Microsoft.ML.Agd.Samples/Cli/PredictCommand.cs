using Microsoft.ML.Agd.Samples.Jobs;

namespace Microsoft.ML.Agd.Samples.Cli;

/// <summary><c>agd predict</c>: the label and top-k scores of image files.</summary>
internal static class PredictCommand
{
    public static System.CommandLine.Command Create()
    {
        var model = CliOptions.Model();
        var top = new Option<int>("--top", "-k") { Description = "How many of the best classes to show.", DefaultValueFactory = _ => 3 };
        var files = new Argument<string[]>("images") { Description = "Image files (PNG, JPEG, BMP, GIF, WebP).", Arity = ArgumentArity.OneOrMore };
        var command = new System.CommandLine.Command("predict", "Classify image files with a saved model.") { model, top, files };
        command.SetAction(result => CliOptions.Guard(() =>
        {
            var predictions = PredictJob.Run(new ModelFolder(result.GetValue(model), "-m"), result.GetValue(files)!, result.GetValue(top));
            var table = new Table().AddColumns("image", "label", "top scores");
            foreach (var p in predictions)
                table.AddRow(Markup.Escape(p.File), Markup.Escape(p.Label), Markup.Escape(string.Join(", ", p.Top.Select(t => $"{t.Class} {t.Score:P1}"))));
            AnsiConsole.Write(table);
            return 0;
        }));
        return command;
    }
}

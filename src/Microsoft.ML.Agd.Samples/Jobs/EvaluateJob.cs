using Microsoft.ML.Agd.Samples.Charts;
using Microsoft.ML.Agd.Samples.Data;
namespace Microsoft.ML.Agd.Samples.Jobs;

/// <summary>Evaluates a model folder on a data set: an IDX folder's test files, or every image of an image folder.</summary>
internal static class EvaluateJob
{
    /// <summary>Runs the evaluation.</summary>
    /// <exception cref="InvalidDataException">The data has a class the model does not know.</exception>
    public static Evaluation Run(ModelFolder folder, string? data)
    {
        var ml = new MLContext(0);
        var (info, model) = folder.Open(ml); // a damaged folder is named before any data is read
        using var temporaryFiles = model as IDisposable;
        var set = DataSets.LoadForEvaluation(data, info.Shape);
        var unknown = set.Rows.Select(r => r.Label).Distinct().Except(info.ClassNames).ToList();
        if (unknown.Count > 0)
            throw new InvalidDataException($"The data has classes the model was not trained on: {string.Join(", ", unknown.Select(u => $"'{u}'"))}. The model knows {string.Join(", ", info.ClassNames)}.");
        if (set.Shape != info.Shape)
            throw new InvalidDataException($"The data's images are {set.Shape} but the model reads {info.Shape}.");
        return Evaluation.Of(ml, model, set with { ClassNames = info.ClassNames });
    }

    private const string Chart = "confusion.png";

    /// <summary>
    /// Checks, before any work, that the outputs' folder is the model folder, or a folder of evaluation outputs only (new,
    /// empty, or holding an earlier confusion.png and report.html), and can be written.
    /// </summary>
    /// <exception cref="IOException">It cannot; the message names -o, the folder and why.</exception>
    public static void CheckOutput(string folder, ModelFolder model)
    {
        model.ReadInfo(); // a -m that is no model folder (a file, a pipe) is named as such, not as the output that defaults to it
        if (folder != model.Path)
            OutputFolder.CheckHoldsOnly(folder, "-o", [Chart, ReportPage.FileName], [], "model evaluation", $"evaluate writes {Chart} and {ReportPage.FileName} into it");
        OutputFolder.CheckWritable(folder, "-o");
    }

    /// <summary>
    /// Writes confusion.png and report.html (the evaluation with the model's curves, layers and configuration, where its
    /// folder has them) into a folder, each beside then moved into place (a kill never leaves half a file); returns their paths.
    /// </summary>
    /// <exception cref="IOException">The folder cannot take them; the message names -o and the folder.</exception>
    public static IReadOnlyList<string> WriteOutputs(Evaluation evaluation, string folder, ModelFolder model, string data)
    {
        string? Text(string file) => File.Exists(file) ? File.ReadAllText(file) : null;
        var content = new ModelReport.Content($"Evaluation of {model.Path}", [("accuracy", $"{evaluation.Accuracy:P2}"), ("macro accuracy", $"{evaluation.MacroAccuracy:P2}"),
                ("log-loss", $"{evaluation.LogLoss:F4}"), ("images", $"{evaluation.PerClass.Sum(c => c.Images)}"), ("data", data)],
            File.Exists(model.Curves) ? File.ReadAllBytes(model.Curves) : null, Text(model.Layers), Text(model.Run));
        return [WriteBeside(folder, Chart, path => Plots.ConfusionMatrix(evaluation.ConfusionMatrix, evaluation.ClassNames, "Confusion matrix", path)),
                WriteBeside(folder, ReportPage.FileName, path => File.WriteAllText(path, ModelReport.Html(content, evaluation)))];
    }

    private static string WriteBeside(string folder, string name, Action<string> write)
    {
        string target = Path.Combine(folder, name);
        string partial = Path.Combine(folder, $".{Path.GetFileNameWithoutExtension(name)}-{Guid.NewGuid():N}{Path.GetExtension(name)}");
        try
        {
            Directory.CreateDirectory(folder);
            write(partial);
            File.Move(partial, target, overwrite: true);
            return target;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"The output folder (-o) '{folder}' cannot take {name}: {e.Message}", e);
        }
        finally
        {
            if (File.Exists(partial))
                File.Delete(partial);
        }
    }
}

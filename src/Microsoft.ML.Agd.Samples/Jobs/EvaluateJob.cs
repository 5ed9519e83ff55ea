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
    /// Checks, before any work, that the chart's folder is the model folder, or a folder of evaluation outputs only (new,
    /// empty, or holding an earlier confusion.png), and can be written.
    /// </summary>
    /// <exception cref="IOException">It cannot; the message names -o, the folder and why.</exception>
    public static void CheckOutput(string folder, ModelFolder model)
    {
        if (folder != model.Path)
            OutputFolder.CheckHoldsOnly(folder, "-o", [Chart], [], "model evaluation", $"evaluate writes {Chart} into it");
        OutputFolder.CheckWritable(folder, "-o");
    }

    /// <summary>Writes confusion.png into a folder, beside then moved into place (a kill never leaves half a chart); returns its path.</summary>
    /// <exception cref="IOException">The folder cannot take it; the message names -o and the folder.</exception>
    public static string WriteConfusion(Evaluation evaluation, string folder)
    {
        string chart = Path.Combine(folder, Chart);
        string partial = Path.Combine(folder, $".confusion-{Guid.NewGuid():N}.png");
        try
        {
            Directory.CreateDirectory(folder);
            Plots.ConfusionMatrix(evaluation.ConfusionMatrix, evaluation.ClassNames, "Confusion matrix", partial);
            File.Move(partial, chart, overwrite: true);
            return chart;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"The output folder (-o) '{folder}' cannot take {Chart}: {e.Message}", e);
        }
        finally
        {
            if (File.Exists(partial))
                File.Delete(partial);
        }
    }
}

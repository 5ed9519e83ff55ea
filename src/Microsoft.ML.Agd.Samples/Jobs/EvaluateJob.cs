namespace Microsoft.ML.Agd.Samples.Jobs;

/// <summary>Evaluates a model folder on a data set: an IDX folder's test files, or every image of an image folder.</summary>
public static class EvaluateJob
{
    /// <summary>Runs the evaluation.</summary>
    /// <exception cref="InvalidDataException">The data has a class the model does not know.</exception>
    public static Evaluation Run(ModelFolder folder, string? data)
    {
        var info = folder.ReadInfo();
        var ml = new MLContext(0);
        var model = folder.Load(ml, info); // a damaged folder is named before any data is read
        var set = DataSets.LoadForEvaluation(data, info.Shape);
        var unknown = set.Rows.Select(r => r.Label).Distinct().Except(info.ClassNames).ToList();
        if (unknown.Count > 0)
            throw new InvalidDataException($"The data has classes the model was not trained on: {string.Join(", ", unknown.Select(u => $"'{u}'"))}. The model knows {string.Join(", ", info.ClassNames)}.");
        if (set.Shape != info.Shape)
            throw new InvalidDataException($"The data's images are {set.Shape} but the model reads {info.Shape}.");
        return Evaluation.Of(ml, model, set with { ClassNames = info.ClassNames });
    }
}

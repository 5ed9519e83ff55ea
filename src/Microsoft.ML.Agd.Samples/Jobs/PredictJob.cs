using Microsoft.ML.Agd.Samples.Data;
using Microsoft.ML.Data;

namespace Microsoft.ML.Agd.Samples.Jobs;

/// <summary>A file's predicted label and its best classes with their scores.</summary>
internal sealed record FilePrediction(string File, string Label, IReadOnlyList<(string Class, float Score)> Top);

/// <summary>Classifies image files with a model folder.</summary>
internal static class PredictJob
{
    private sealed class Output
    {
        public string PredictedLabel { get; set; } = "";
        public float[] Score { get; set; } = [];
    }

    /// <summary>Decodes each file to the model's shape and predicts it with an ML.NET PredictionEngine.</summary>
    public static IReadOnlyList<FilePrediction> Run(ModelFolder folder, IReadOnlyList<string> files, int top)
    {
        if (top < 1)
            throw new ArgumentOutOfRangeException(nameof(top), top, "--top must be at least 1.");
        var ml = new MLContext(0);
        var (info, model) = folder.Open(ml);
        using var temporaryFiles = model as IDisposable;
        foreach (var file in files.Where(Directory.Exists)) // a missing file, or a link to nothing, is named as it is decoded
            throw new FileNotFoundException($"'{file}' is a folder; give image files (agd predict -m model {System.IO.Path.Combine(file, "*.png")}).", file);
        var rows = ModelFolder.Decode(files, info.Shape);
        var set = new LabelledImageSet(rows, info.Shape, info.ClassNames, "images");
        var scored = model.Transform(set.ToDataView(ml));
        return ml.Data.CreateEnumerable<Output>(scored, reuseRowObject: false).Zip(files, (o, f) => new FilePrediction(f, o.PredictedLabel,
            o.Score.Select((s, k) => (info.ClassNames[k], s)).OrderByDescending(p => p.s).Take(top).ToList())).ToList();
    }
}

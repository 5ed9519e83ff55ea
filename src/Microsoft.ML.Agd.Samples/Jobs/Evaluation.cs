using Microsoft.ML.Agd.Samples.Data;

namespace Microsoft.ML.Agd.Samples.Jobs;

/// <summary>
/// A model's metrics on a labelled set, as ML.NET's multiclass evaluator computes them: <see cref="Accuracy"/> is its
/// micro-accuracy (the share of images classified right), <see cref="MacroAccuracy"/> the mean of the classes' recalls.
/// </summary>
internal sealed record Evaluation(double Accuracy, double MacroAccuracy, double LogLoss,
    IReadOnlyList<ClassMetrics> PerClass, IReadOnlyList<IReadOnlyList<double>> ConfusionMatrix, IReadOnlyList<string> ClassNames)
{
    /// <summary>Scores a set with a model (Features and Label in, Score and PredictedLabel out) and evaluates it.</summary>
    public static Evaluation Of(MLContext ml, ITransformer model, LabelledImageSet set)
    {
        var keys = set.LabelKeys(ml);
        var scored = model.Transform(keys.Transform(set.ToDataView(ml)));
        var metrics = ml.MulticlassClassification.Evaluate(scored);
        var confusion = metrics.ConfusionMatrix;
        var perClass = set.ClassNames.Select((name, k) =>
        {
            double total = confusion.Counts[k].Sum();
            return new ClassMetrics(name, (int)total, total == 0 ? 0 : confusion.Counts[k][k] / total, confusion.PerClassPrecision[k], metrics.PerClassLogLoss[k]);
        }).ToList();
        return new Evaluation(metrics.MicroAccuracy, metrics.MacroAccuracy, metrics.LogLoss, perClass,
            confusion.Counts.Select(r => (IReadOnlyList<double>)r.ToList()).ToList(), set.ClassNames);
    }
}

/// <summary>One class's share of the metrics.</summary>
internal sealed record ClassMetrics(string Class, int Images, double Recall, double Precision, double LogLoss);

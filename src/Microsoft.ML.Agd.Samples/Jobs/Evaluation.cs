using Microsoft.ML.Agd.Samples.Data;
using Microsoft.ML.Data;

namespace Microsoft.ML.Agd.Samples.Jobs;

/// <summary>
/// A model's metrics on a labelled set, as ML.NET's multiclass evaluator computes them: <see cref="Accuracy"/> is its
/// micro-accuracy (the share of images classified right), <see cref="MacroAccuracy"/> the mean of the classes' recalls.
/// </summary>
/// <param name="Mistakes">The images classified wrong with the highest scores, most confident first (at most <see cref="MistakesKept"/>).</param>
internal sealed record Evaluation(double Accuracy, double MacroAccuracy, double LogLoss,
    IReadOnlyList<ClassMetrics> PerClass, IReadOnlyList<IReadOnlyList<double>> ConfusionMatrix, IReadOnlyList<string> ClassNames,
    IReadOnlyList<Mistake> Mistakes)
{
    /// <summary>How many of the most confident mistakes an evaluation keeps.</summary>
    public const int MistakesKept = 12;

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
            confusion.Counts.Select(r => (IReadOnlyList<double>)r.ToList()).ToList(), set.ClassNames, MostConfidentMistakes(scored, set));
    }

    // The scores' best class against the label key, row by row; the rows' pixels are read again only for the few kept.
    private static List<Mistake> MostConfidentMistakes(IDataView scored, LabelledImageSet set)
    {
        var wrong = new List<(int Row, int Predicted, float Score)>();
        using (var cursor = scored.GetRowCursor(scored.Schema.Where(c => c.Name is "Score" or "Label")))
        {
            var scoreOf = cursor.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
            var labelOf = cursor.GetGetter<uint>(scored.Schema["Label"]);
            VBuffer<float> scores = default;
            uint label = 0;
            for (int row = 0; cursor.MoveNext(); row++)
            {
                scoreOf(ref scores);
                labelOf(ref label);
                var values = scores.DenseValues().ToArray();
                int best = Array.IndexOf(values, values.Max());
                if (best != label - 1)
                    wrong.Add((row, best, values[best]));
            }
        }
        return wrong.OrderByDescending(w => w.Score).Take(MistakesKept)
            .Select(w => new Mistake(set.Rows[w.Row].Features, set.Shape, set.Rows[w.Row].Label, set.ClassNames[w.Predicted], w.Score)).ToList();
    }
}

/// <summary>An image classified wrong: its pixels, its true class, the class predicted and that class's score.</summary>
internal sealed record Mistake(float[] Pixels, AgdImageShape Shape, string TrueClass, string PredictedClass, float Score);

/// <summary>One class's share of the metrics.</summary>
internal sealed record ClassMetrics(string Class, int Images, double Recall, double Precision, double LogLoss);

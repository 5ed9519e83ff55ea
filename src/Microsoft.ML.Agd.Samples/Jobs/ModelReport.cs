using Microsoft.ML.Agd.Samples.Charts;
using System.Globalization;

namespace Microsoft.ML.Agd.Samples.Jobs;

/// <summary>
/// An image model's report.html (<see cref="ReportPage"/>): the metrics, training curves, the confusion matrix,
/// per-class accuracy, the most confident mistakes as thumbnails, AGD's layers and depth, and the run's configuration.
/// </summary>
internal static class ModelReport
{
    /// <summary>What the page shows besides the evaluation; a part that is null is left out.</summary>
    /// <param name="Title">The page's heading.</param>
    /// <param name="Summary">Name and value lines at the top (accuracy, data, time).</param>
    /// <param name="Curves">The training curves as PNG bytes.</param>
    /// <param name="Layers">AGD's reading of the network (layers.txt).</param>
    /// <param name="Configuration">The run's configuration (run.json).</param>
    /// <param name="CurvesAlt">What the curves show, for a reader who cannot see them.</param>
    public sealed record Content(string Title, IReadOnlyList<(string Name, string Value)> Summary, byte[]? Curves, string? Layers, string? Configuration,
        string CurvesAlt = "training curves: loss, accuracy and AGD's eta per epoch");

    /// <summary>The page's HTML.</summary>
    public static string Html(Content content, Evaluation evaluation)
    {
        static string Percent(double value) => value.ToString("P2", CultureInfo.InvariantCulture);
        var perClass = evaluation.PerClass.Select(c => (IReadOnlyList<string>)[c.Class, $"{c.Images}", Percent(c.Recall), Percent(c.Precision), c.LogLoss.ToString("F4", CultureInfo.InvariantCulture)]);
        var mistakes = evaluation.Mistakes.Select(m => (Plots.Image(m.Pixels, m.Shape.Channels, m.Shape.Height, m.Shape.Width), $"a {m.TrueClass} taken for a {m.PredictedClass}",
            (IReadOnlyList<string>)[$"true: {m.TrueClass}", $"predicted: {m.PredictedClass} ({m.Score.ToString("P1", CultureInfo.InvariantCulture)})"]));
        return ReportPage.Html(content.Title, content.Summary,
        [
            content.Curves is { } curves ? new("curves", "Training", ReportPage.Image(curves, content.CurvesAlt)) : null,
            new("confusion", "Confusion matrix", ReportPage.Image(Plots.ConfusionMatrix(evaluation.ConfusionMatrix, evaluation.ClassNames, "Confusion matrix"), "confusion matrix: true classes down, predicted across")),
            new("per-class", "Per class", ReportPage.Table(["class", "images", "accuracy (recall)", "precision", "log-loss"], perClass, id: "per-class-table")),
            evaluation.Mistakes.Count > 0 ? new("mistakes", "Most confident mistakes", ReportPage.Tiles(mistakes)) : null,
            content.Layers is { } layers ? new("layers", "AGD's reading of the network", ReportPage.Pre(layers)) : null,
            content.Configuration is { } configuration ? new("configuration", "Configuration (run.json)", ReportPage.Pre(configuration)) : null,
        ]);
    }
}

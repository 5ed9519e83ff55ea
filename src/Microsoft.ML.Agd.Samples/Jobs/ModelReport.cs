using System.Globalization;
using System.Net;
using System.Text;

using Microsoft.ML.Agd.Samples.Charts;

namespace Microsoft.ML.Agd.Samples.Jobs;

/// <summary>
/// report.html: one self-contained page a person opens or sends (images inline, no script, nothing fetched): the
/// metrics, training curves, the confusion matrix, per-class accuracy, the most confident mistakes as thumbnails, AGD's
/// layers and depth, and the run's configuration.
/// </summary>
internal static class ModelReport
{
    /// <summary>The file's name in a model or evaluation folder.</summary>
    public const string FileName = "report.html";

    /// <summary>What the page shows besides the evaluation; a part that is null is left out.</summary>
    /// <param name="Title">The page's heading.</param>
    /// <param name="Summary">Name and value lines at the top (accuracy, data, time).</param>
    /// <param name="Curves">The training curves as PNG bytes.</param>
    /// <param name="Layers">AGD's reading of the network (layers.txt).</param>
    /// <param name="Configuration">The run's configuration (run.json).</param>
    public sealed record Content(string Title, IReadOnlyList<(string Name, string Value)> Summary, byte[]? Curves, string? Layers, string? Configuration);

    /// <summary>The page's HTML.</summary>
    public static string Html(Content content, Evaluation evaluation)
    {
        var html = new StringBuilder();
        html.Append($$"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{{E(content.Title)}}</title>
            <style>
            body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #222; }
            section { margin-bottom: 2.5rem; }
            img.chart { max-width: 100%; height: auto; border: 1px solid #ddd; }
            table { border-collapse: collapse; }
            th, td { padding: 0.25rem 0.75rem; border-bottom: 1px solid #ddd; text-align: right; }
            th:first-child, td:first-child { text-align: left; }
            .mistakes { display: grid; grid-template-columns: repeat(auto-fill, minmax(9rem, 1fr)); gap: 1rem; }
            .mistakes figure { margin: 0; }
            .mistakes img { width: 100%; image-rendering: pixelated; border: 1px solid #ddd; }
            figcaption { font-size: 0.85rem; }
            pre { background: #f6f6f6; padding: 1rem; overflow-x: auto; }
            </style>
            </head>
            <body>
            <h1>{{E(content.Title)}}</h1>

            """);
        html.Append("<section id=\"summary\"><table>\n");
        foreach (var (name, value) in content.Summary)
            html.Append($"<tr><th>{E(name)}</th><td>{E(value)}</td></tr>\n");
        html.Append("</table></section>\n");
        if (content.Curves is { } curves)
            html.Append($"<section id=\"curves\"><h2>Training</h2>{Image(curves, "training curves: loss, accuracy and AGD's eta per epoch", "chart")}</section>\n");
        html.Append($"<section id=\"confusion\"><h2>Confusion matrix</h2>{Image(Plots.ConfusionMatrix(evaluation.ConfusionMatrix, evaluation.ClassNames, "Confusion matrix"), "confusion matrix: true classes down, predicted across", "chart")}</section>\n");
        html.Append("<section id=\"per-class\"><h2>Per class</h2><table id=\"per-class-table\">\n<tr><th>class</th><th>images</th><th>accuracy (recall)</th><th>precision</th><th>log-loss</th></tr>\n");
        foreach (var row in evaluation.PerClass)
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(row.Class)}</td><td>{row.Images}</td><td>{row.Recall:P2}</td><td>{row.Precision:P2}</td><td>{row.LogLoss:F4}</td></tr>\n");
        html.Append("</table></section>\n");
        if (evaluation.Mistakes.Count > 0)
        {
            html.Append("<section id=\"mistakes\"><h2>Most confident mistakes</h2><div class=\"mistakes\">\n");
            foreach (var m in evaluation.Mistakes)
                html.Append(CultureInfo.InvariantCulture, $"<figure>{Image(Plots.Image(m.Pixels, m.Shape.Channels, m.Shape.Height, m.Shape.Width), $"a {m.TrueClass} taken for a {m.PredictedClass}", "")}<figcaption>true: {E(m.TrueClass)}<br>predicted: {E(m.PredictedClass)} ({m.Score:P1})</figcaption></figure>\n");
            html.Append("</div></section>\n");
        }
        if (content.Layers is { } layers)
            html.Append($"<section id=\"layers\"><h2>AGD's reading of the network</h2><pre>{E(layers)}</pre></section>\n");
        if (content.Configuration is { } configuration)
            html.Append($"<section id=\"configuration\"><h2>Configuration (run.json)</h2><pre>{E(configuration)}</pre></section>\n");
        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string Image(byte[] png, string alt, string @class)
        => $"<img{(@class.Length > 0 ? $" class=\"{@class}\"" : "")} alt=\"{E(alt)}\" src=\"data:image/png;base64,{Convert.ToBase64String(png)}\">";
}

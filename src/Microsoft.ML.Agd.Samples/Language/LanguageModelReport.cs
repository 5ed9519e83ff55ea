using Microsoft.ML.Agd.Samples.Charts;
using System.Globalization;

namespace Microsoft.ML.Agd.Samples.Language;

/// <summary>A language model's report.html (<see cref="ReportPage"/>): the losses, the loss curve, samples at several temperatures, AGD's layers and the configuration.</summary>
internal static class LanguageModelReport
{
    /// <summary>The temperatures the page samples at: conservative, nanoGPT's, and the model as it is.</summary>
    public static readonly IReadOnlyList<double> Temperatures = [0.5, 0.8, 1.0];

    /// <summary>The page's HTML.</summary>
    public static string Html(string title, IReadOnlyList<(string Name, string Value)> summary, byte[] curves, IReadOnlyList<(double Temperature, string Text)> samples, string layers, string configuration)
        => ReportPage.Html(title, summary,
        [
            new("curves", "Training", ReportPage.Image(curves, "validation loss per iteration")),
            new("samples", "Samples", string.Concat(samples.Select(s => $"<h3>temperature {s.Temperature.ToString(CultureInfo.InvariantCulture)}</h3>{ReportPage.Pre(s.Text)}"))),
            new("layers", "AGD's reading of the network", ReportPage.Pre(layers)),
            new("configuration", "Configuration (run.json)", ReportPage.Pre(configuration)),
        ]);
}

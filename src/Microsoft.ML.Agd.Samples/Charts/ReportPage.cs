using System.Net;
using System.Text;

namespace Microsoft.ML.Agd.Samples.Charts;

/// <summary>
/// report.html: one self-contained page a person opens or sends (images inline, no script, nothing fetched), made of a
/// heading, a summary table and sections. The image model's and the language model's reports are two compositions of it.
/// </summary>
internal static class ReportPage
{
    /// <summary>The file's name in a model, language-model or evaluation folder.</summary>
    public const string FileName = "report.html";

    /// <summary>One section: its id (what tests and links find it by), its heading and its HTML.</summary>
    public sealed record Section(string Id, string Heading, string Html);

    /// <summary>The page's HTML.</summary>
    public static string Html(string title, IReadOnlyList<(string Name, string Value)> summary, IEnumerable<Section?> sections)
    {
        var html = new StringBuilder($$"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{{Text(title)}}</title>
            <style>
            body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #222; }
            section { margin-bottom: 2.5rem; }
            img.chart { max-width: 100%; height: auto; border: 1px solid #ddd; }
            table { border-collapse: collapse; }
            th, td { padding: 0.25rem 0.75rem; border-bottom: 1px solid #ddd; text-align: right; }
            th:first-child, td:first-child { text-align: left; }
            .tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(9rem, 1fr)); gap: 1rem; }
            .tiles figure { margin: 0; }
            .tiles img { width: 100%; image-rendering: pixelated; border: 1px solid #ddd; }
            figcaption { font-size: 0.85rem; }
            pre { background: #f6f6f6; padding: 1rem; overflow-x: auto; white-space: pre-wrap; }
            </style>
            </head>
            <body>
            <h1>{{Text(title)}}</h1>

            """);
        html.Append("<section id=\"summary\">").Append(Table([], summary.Select(s => (IReadOnlyList<string>)[s.Name, s.Value]), header: false)).Append("</section>\n");
        foreach (var section in sections)
            if (section is not null)
                html.Append($"<section id=\"{section.Id}\"><h2>{Text(section.Heading)}</h2>{section.Html}</section>\n");
        return html.Append("</body>\n</html>\n").ToString();
    }

    /// <summary>Text made safe for HTML.</summary>
    public static string Text(string text) => WebUtility.HtmlEncode(text);

    /// <summary>A PNG inline, as a chart (scaled to the page) or as a tile (scaled up, pixels kept sharp).</summary>
    public static string Image(byte[] png, string alt, bool chart = true)
        => $"<img{(chart ? " class=\"chart\"" : "")} alt=\"{Text(alt)}\" src=\"data:image/png;base64,{Convert.ToBase64String(png)}\">";

    /// <summary>Preformatted text.</summary>
    public static string Pre(string text) => $"<pre>{Text(text)}</pre>";

    /// <summary>A table: a header row of <paramref name="columns"/> (none when empty), then the rows; the first cell of each row a heading where there is no header.</summary>
    public static string Table(IReadOnlyList<string> columns, IEnumerable<IReadOnlyList<string>> rows, bool header = true, string? id = null)
    {
        var html = new StringBuilder(id is null ? "<table>\n" : $"<table id=\"{id}\">\n");
        if (columns.Count > 0)
            html.Append("<tr>").Append(string.Concat(columns.Select(c => $"<th>{Text(c)}</th>"))).Append("</tr>\n");
        foreach (var row in rows)
            html.Append("<tr>").Append(string.Concat(row.Select((cell, i) => !header && i == 0 ? $"<th>{Text(cell)}</th>" : $"<td>{Text(cell)}</td>"))).Append("</tr>\n");
        return html.Append("</table>").ToString();
    }

    /// <summary>Images with captions in a grid.</summary>
    public static string Tiles(IEnumerable<(byte[] Png, string Alt, IReadOnlyList<string> Caption)> tiles)
        => "<div class=\"tiles\">\n" + string.Concat(tiles.Select(t => $"<figure>{Image(t.Png, t.Alt, chart: false)}<figcaption>{string.Join("<br>", t.Caption.Select(Text))}</figcaption></figure>\n")) + "</div>";
}

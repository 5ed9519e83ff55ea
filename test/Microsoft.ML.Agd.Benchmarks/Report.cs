using System.Text;

namespace Microsoft.ML.Agd.Benchmarks;

/// <summary>The markdown the run prints and writes: one section per claim, each a table.</summary>
internal sealed class Report
{
    private readonly StringBuilder _text = new();

    public void Section(string title, string intro)
    {
        _text.AppendLine($"## {title}").AppendLine().AppendLine(intro).AppendLine();
        Flush();
    }

    public void Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows, string? note = null)
    {
        _text.AppendLine($"| {string.Join(" | ", header)} |");
        _text.AppendLine($"|{string.Concat(header.Select((_, i) => i == 0 ? "---|" : "---:|"))}");
        foreach (var row in rows)
            _text.AppendLine($"| {string.Join(" | ", row)} |");
        _text.AppendLine();
        if (note is not null)
            _text.AppendLine(note).AppendLine();
        Flush();
    }

    /// <summary>A target and whether this run met it, with what was measured; null where the run measured nothing it applies to.</summary>
    public void Verdict(string target, bool? met, string measured)
        => Line($"Target {target}: **{met switch { true => "met", false => "missed", null => "not measured" }}** ({measured}).");

    public void Line(string text)
    {
        _text.AppendLine(text).AppendLine();
        Flush();
    }

    public string Text { get; private set; } = "";

    private void Flush()
    {
        string added = _text.ToString()[Text.Length..];
        Console.Write(added);
        Text = _text.ToString();
    }
}

using System.Text.RegularExpressions;

namespace Microsoft.ML.Agd.Tests.Packaging;

/// <summary>What README.md tells a new user to type: its install commands and its pipeline snippet, read from the file itself.</summary>
internal static partial class ReadmeSnippet
{
    private static string Readme => File.ReadAllText(Path.Combine(DotNet.RepositoryRoot, "README.md"));

    /// <summary>The packages and versions of the README's <c>dotnet add package NAME --version VERSION</c> lines.</summary>
    public static IReadOnlyList<(string Package, string Version)> Packages()
        => AddPackage().Matches(Section("## Install")).Select(m => (m.Groups[1].Value, m.Groups[2].Value)).ToList();

    /// <summary>The first C# block of the README's pipeline section, as written.</summary>
    public static string Pipeline()
    {
        string section = Section("## In an ML.NET pipeline");
        int start = section.IndexOf("```csharp\n", StringComparison.Ordinal) + "```csharp\n".Length;
        return section[start..section.IndexOf("```", start, StringComparison.Ordinal)];
    }

    /// <summary>
    /// A Program.cs that runs the snippet: its usings, then a prologue that gives it <c>imageFolder</c>, <c>train</c> and
    /// <c>test</c> (PNG files of a folder named after their class), the snippet, and an epilogue that prints what it did.
    /// </summary>
    public static string Program(string snippet)
    {
        var lines = snippet.Split('\n');
        var usings = lines.TakeWhile(l => l.StartsWith("using ", StringComparison.Ordinal) || l.Trim().Length == 0);
        var body = lines.SkipWhile(l => l.StartsWith("using ", StringComparison.Ordinal) || l.Trim().Length == 0);
        return string.Join('\n', usings) + """

            string imageFolder = args[0];
            var files = Directory.GetFiles(imageFolder, "*.png").Order().Select(f => new ImageRow { ImagePath = Path.GetFileName(f), Label = Path.GetFileName(f).Split('_')[0] });
            var split = new MLContext(seed: 1).Data.TrainTestSplit(new MLContext(seed: 1).Data.LoadFromEnumerable(files.ToList()), testFraction: 0.25, seed: 1);
            var (train, test) = (split.TrainSet, split.TestSet);
            // The README's snippet, as written:

            """ + string.Join('\n', body) + """

            Console.WriteLine($"MicroAccuracy: {metrics.MicroAccuracy:F4}");
            var reloaded = new MLContext().Model.Load("model.zip", out _);
            var labels = new MLContext().Data.CreateEnumerable<Predicted>(reloaded.Transform(test), reuseRowObject: false).Select(p => p.PredictedLabel).ToList();
            Console.WriteLine($"Reloaded predictions: {labels.Count}, classes: {string.Join(",", labels.Distinct().Order())}");
            var truth = new MLContext().Data.CreateEnumerable<ImageRow>(test, reuseRowObject: false).Select(r => r.Label).ToList();
            Console.WriteLine($"Reloaded accuracy: {labels.Zip(truth).Count(p => p.First == p.Second) / (double)truth.Count:F4}");
            Console.WriteLine($"Test rows: {truth.Count}");

            public sealed class ImageRow
            {
                public string ImagePath { get; set; } = "";
                public string Label { get; set; } = "";
            }

            public sealed class Predicted
            {
                public string PredictedLabel { get; set; } = "";
            }

            """;
    }

    private static string Section(string heading)
    {
        string readme = Readme.ReplaceLineEndings("\n");
        int start = readme.IndexOf("\n" + heading + "\n", StringComparison.Ordinal);
        Assert.IsTrue(start >= 0, $"README.md has no section '{heading}'.");
        int end = readme.IndexOf("\n## ", start + heading.Length + 2, StringComparison.Ordinal);
        return readme[start..(end < 0 ? readme.Length : end)];
    }

    [GeneratedRegex(@"^dotnet add package (\S+) --version (\S+)", RegexOptions.Multiline)]
    private static partial Regex AddPackage();
}

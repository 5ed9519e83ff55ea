namespace Microsoft.ML.Agd.Samples.Data;

/// <summary>A file that names a data set's classes, one a line in label order (classes.txt, CIFAR's batches.meta.txt).</summary>
internal static class ClassNamesFile
{
    /// <summary>The names, blank lines left out and spaces trimmed.</summary>
    /// <exception cref="InvalidDataException">A name is given twice (two classes would be one); the message names it and its lines.</exception>
    public static IReadOnlyList<string> Read(string file)
    {
        var lines = InputFile.ReadAllText(file).Split('\n').Select((line, i) => (Name: line.Trim(), Line: i + 1)).Where(l => l.Name.Length > 0).ToList();
        if (lines.GroupBy(l => l.Name).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new InvalidDataException($"'{file}' names the class '{twice.Key}' on lines {string.Join(" and ", twice.Select(l => l.Line))}; " +
                "each class needs a name of its own, one a line in label order.");
        return lines.Select(l => l.Name).ToList();
    }
}

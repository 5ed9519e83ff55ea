using Microsoft.ML.Agd.Samples.Data;

namespace Microsoft.ML.Agd.Samples.Language;

/// <summary>
/// The text a language model trains on: a UTF-8 file, or every text file of a folder (as Debian's fortunes package
/// installs its collections), read strictly so that a file in another encoding is named rather than read as garbage.
/// </summary>
internal static class TextCorpus
{
    /// <summary>Where Debian's fortunes package puts its collections of plain English text: the default corpus.</summary>
    public const string Fortunes = "/usr/share/games/fortunes";


    /// <summary>The text of a file, or of a folder's files in name order (links and fortune's .dat indexes skipped).</summary>
    /// <exception cref="FileNotFoundException">Nothing is at the path.</exception>
    /// <exception cref="InvalidDataException">A file is not UTF-8, or the text is empty; the message names the file and the fix.</exception>
    public static string Read(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new FileNotFoundException("--text is empty; give it a UTF-8 file or a folder of them.", path);
        string text = Directory.Exists(path)
            ? string.Join("\n", Files(path).Select(InputFile.ReadAllText))
            : File.Exists(path) ? InputFile.ReadAllText(path)
            : throw new FileNotFoundException(path == Fortunes
                ? $"No text was given and the default corpus, Debian's fortunes ({Fortunes}), is not installed: run 'sudo apt-get install fortunes', or give --text a UTF-8 file."
                : $"The text '{path}' does not exist; give --text a UTF-8 file or a folder of them.", path);
        if (text.Length == 0)
            throw new InvalidDataException($"The text '{path}' is empty; a language model needs a text to learn from.");
        return text;
    }

    // Every file of the folder but fortune's indexes (.dat) and hidden ones, each checked as any input is (a link to a
    // pipe or a device is named, not skipped). A link to a file read already is read once: Debian's fortunes link each
    // file's .u8 twin to it.
    private static IEnumerable<string> Files(string folder)
    {
        var read = new HashSet<string>(StringComparer.Ordinal);
        var files = new List<string>();
        foreach (var file in new DirectoryInfo(folder).EnumerateFiles().Where(f => f.Extension != ".dat" && !f.Name.StartsWith('.')).OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            InputFile.CheckRegular(file.FullName);
            string target = file.LinkTarget is null ? file.FullName : File.ResolveLinkTarget(file.FullName, returnFinalTarget: true)!.FullName;
            if (read.Add(target))
                files.Add(file.FullName);
        }
        return files.Count > 0 ? files : throw new InvalidDataException($"The folder '{folder}' holds no text files; give --text a UTF-8 file or a folder of them.");
    }
}

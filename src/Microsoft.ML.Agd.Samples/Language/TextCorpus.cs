using Microsoft.ML.Agd.Samples.Data;
using System.Text;

namespace Microsoft.ML.Agd.Samples.Language;

/// <summary>
/// The text a language model trains on: a UTF-8 file, or every text file of a folder (as Debian's fortunes package
/// installs its collections), read strictly so that a file in another encoding is named rather than read as garbage.
/// </summary>
internal static class TextCorpus
{
    /// <summary>Where Debian's fortunes package puts its collections of plain English text: the default corpus.</summary>
    public const string Fortunes = "/usr/share/games/fortunes";

    private static readonly UTF8Encoding s_strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The text of a file, or of a folder's files in name order (links and fortune's .dat indexes skipped).</summary>
    /// <exception cref="FileNotFoundException">Nothing is at the path.</exception>
    /// <exception cref="InvalidDataException">A file is not UTF-8, or the text is empty; the message names the file and the fix.</exception>
    public static string Read(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new FileNotFoundException("--text is empty; give it a UTF-8 file or a folder of them.", path);
        string text = Directory.Exists(path)
            ? string.Join("\n", Files(path).Select(ReadFile))
            : File.Exists(path) ? ReadFile(path)
            : throw new FileNotFoundException(path == Fortunes
                ? $"No text was given and the default corpus, Debian's fortunes ({Fortunes}), is not installed: run 'sudo apt-get install fortunes', or give --text a UTF-8 file."
                : $"The text '{path}' does not exist; give --text a UTF-8 file or a folder of them.", path);
        if (text.Length == 0)
            throw new InvalidDataException($"The text '{path}' is empty; a language model needs a text to learn from.");
        return text;
    }

    private static IEnumerable<string> Files(string folder)
    {
        var files = new DirectoryInfo(folder).EnumerateFiles()
            .Where(f => f.LinkTarget is null && f.Extension != ".dat" && !f.Name.StartsWith('.'))
            .Select(f => f.FullName).Order(StringComparer.Ordinal).ToList();
        return files.Count > 0 ? files : throw new InvalidDataException($"The folder '{folder}' holds no text files; give --text a UTF-8 file or a folder of them.");
    }

    private static string ReadFile(string file)
    {
        byte[] bytes = InputFile.ReadAllBytes(file);
        // The byte-order mark that some editors write first is not part of the text (s_strict's own preamble is empty).
        ReadOnlySpan<byte> mark = [0xEF, 0xBB, 0xBF];
        int start = bytes.AsSpan().StartsWith(mark) ? mark.Length : 0;
        if (bytes is [0xFF, 0xFE, ..] or [0xFE, 0xFF, ..])
            throw new InvalidDataException($"The text '{file}' is UTF-16 (it starts with UTF-16's byte-order mark), not UTF-8. " +
                "Convert it first, for example: iconv -f utf-16 -t utf-8 in.txt > out.txt.");
        try
        {
            return s_strict.GetString(bytes, start, bytes.Length - start);
        }
        catch (DecoderFallbackException e)
        {
            int at = start + Math.Max(e.Index, 0);
            throw new InvalidDataException($"The text '{file}' is not UTF-8: the bytes at offset {at} ({Convert.ToHexString(e.BytesUnknown ?? [])}) are no UTF-8 character. " +
                "Convert it first, for example: iconv -f latin1 -t utf-8 in.txt > out.txt.");
        }
    }
}

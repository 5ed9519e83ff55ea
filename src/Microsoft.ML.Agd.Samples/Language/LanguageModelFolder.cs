using Microsoft.ML.Agd.Models;
using Microsoft.ML.Agd.Samples.Charts;
using Microsoft.ML.Agd.Samples.Data;
using Microsoft.ML.Agd.Samples.Jobs;
using System.Text.Json;

namespace Microsoft.ML.Agd.Samples.Language;

/// <summary>What a language-model folder records besides the weights: the GPT's shape, its tokenizer and its training.</summary>
/// <param name="Checksum">
/// The SHA-256 of model.bin followed by every other value here, as written: a changed byte of the weights, or an edited
/// shape, tokenizer or character list, is noticed on load.
/// </param>
internal sealed record LanguageModelInfo(int Layers, int Heads, int Width, int Context, string Tokenizer, IReadOnlyList<string> Characters,
    int VocabularySize, string TrainedOn, string Optimizer, int Iterations, double ValidationLoss, string Checksum)
{
    /// <summary>The checksum of these values (the checksum itself left out) and of the weights in <paramref name="weights"/>.</summary>
    public string ChecksumWith(string weights)
    {
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        sha.AppendData(InputFile.ReadAllBytes(weights));
        sha.AppendData(JsonSerializer.SerializeToUtf8Bytes(this with { Checksum = "" }, ModelFolder.Json));
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}

/// <summary>
/// A trained language model's folder: model.bin (TorchSharp's weights), model.json (<see cref="LanguageModelInfo"/>),
/// layers.txt (what AGD made of the GPT), curves.png, sample.txt, run.json (its configuration, which <c>agd lm train --config</c>
/// replays) and report.html. It is written whole or not at all.
/// </summary>
internal sealed class LanguageModelFolder(string path, string option = "-o")
{
    private static readonly string[] s_files = ["model.bin", "model.json", "layers.txt", "curves.png", "sample.txt", RunFile.FileName, ReportPage.FileName];

    /// <summary>The folder, in full.</summary>
    public string Path { get; } = OutputFolder.Normalize(path, option);

    /// <summary>A file of the folder.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Checks, before training, that the folder can be replaced whole and holds nothing but a language model's files.</summary>
    public void CheckWritable() => OutputFolder.CheckReplaceable(Path, option, s_files, [], "language-model folder");

    /// <summary>Writes the folder whole: the weights, model.json, and what <paramref name="extras"/> adds (charts, text) to the staging folder.</summary>
    public void Write(Gpt model, TextTokenizer tokenizer, string trainedOn, LanguageModelRun run, string layers, Action<LanguageModelFolder> extras)
    {
        CheckWritable();
        OutputFolder.WriteWhole(Path, staging =>
        {
            var folder = new LanguageModelFolder(staging, option);
            model.save(folder.File("model.bin"));
            var info = new LanguageModelInfo(model.Layers, model.Heads, model.Width, model.ContextLength, tokenizer.Kind, tokenizer.Characters,
                tokenizer.VocabularySize, trainedOn, run.Name, run.Curve[^1].Iteration, run.Curve[^1].ValidationLoss, "");
            ModelFolder.WriteJson(folder.File("model.json"), info with { Checksum = info.ChecksumWith(folder.File("model.bin")) });
            System.IO.File.WriteAllText(folder.File("layers.txt"), layers + Environment.NewLine);
            extras(folder);
        });
    }

    /// <summary>
    /// Loads the model and its tokenizer, checking the weights against the checksum model.json records; a folder that
    /// another run replaced while it was read is read again (<see cref="ModelFolder.ReadWhole"/>).
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder is not a language-model folder.</exception>
    /// <exception cref="InvalidDataException">A file is damaged; the message names it.</exception>
    public (Gpt Model, TextTokenizer Tokenizer, LanguageModelInfo Info) Load() => ModelFolder.ReadWhole(File("model.json"), LoadOnce);

    private (Gpt Model, TextTokenizer Tokenizer, LanguageModelInfo Info) LoadOnce()
    {
        if (!System.IO.File.Exists(File("model.json")) || !System.IO.File.Exists(File("model.bin")))
            throw new DirectoryNotFoundException($"'{Path}' is not a language-model folder: it needs model.bin and model.json, as 'agd lm train' writes them.");
        var info = JsonErrors.ReadFile<LanguageModelInfo>(File("model.json"), ModelFolder.Json, why => Damaged("model.json", why));
        if (info is null || info.Layers < 1 || info.Heads < 1 || info.Width < 1 || info.Context < 1 || info.Characters is null || info.Tokenizer is null)
            throw Damaged("model.json", "it lacks the GPT's shape or its tokenizer");
        if (string.IsNullOrEmpty(info.Checksum))
            throw Damaged("model.json", "it records no checksum (it was written by an earlier agd, or edited)");
        if (info.ChecksumWith(File("model.bin")) != info.Checksum)
            throw Damaged("model.bin or model.json", "their checksum differs from the one model.json records: the weights, or the shape, tokenizer or characters recorded beside them, were changed after training");
        // Edited with its checksum made to match: each value is still checked before it is used.
        if (info.Tokenizer is not ("char" or "gpt2"))
            throw Damaged("model.json", $"its Tokenizer is '{info.Tokenizer}', and agd writes char or gpt2 there");
        if (info.Characters.FirstOrDefault(c => c.EnumerateRunes().Count() != 1) is { } notOne)
            throw Damaged("model.json", $"its Characters holds '{notOne}', which is not one character");
        if (info.Characters.GroupBy(c => c, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw Damaged("model.json", $"its Characters holds '{twice.Key}' twice");
        var tokenizer = TextTokenizer.Restore(info.Tokenizer, info.Characters);
        if (tokenizer.VocabularySize != info.VocabularySize)
            throw Damaged("model.json", $"its tokenizer has {tokenizer.VocabularySize} tokens but it records {info.VocabularySize}");
        string shape = $"the shape model.json records (Layers {info.Layers}, Heads {info.Heads}, Width {info.Width}, Context {info.Context}, VocabularySize {info.VocabularySize})";
        // A GPT's weights are about 12 L w^2 + (2 vocabulary + context) w floats: one far larger than model.bin is not built.
        double weights = 4 * (12.0 * info.Layers * info.Width * info.Width + (2.0 * info.VocabularySize + info.Context) * info.Width);
        if (weights > 2.0 * new FileInfo(File("model.bin")).Length + (1 << 20))
            throw Damaged("model.bin", $"it holds {new FileInfo(File("model.bin")).Length:N0} bytes, and the weights of {shape} take about {weights:N0}");
        var model = new Gpt(info.VocabularySize, info.Context, info.Layers, info.Heads, info.Width);
        try
        {
            model.load(File("model.bin"));
        }
        catch (ArgumentException e)
        {
            model.Dispose();
            throw Damaged("model.bin", $"its weights do not have {shape} ({e.Message.Split('.')[0]})");
        }
        model.eval();
        return (model, tokenizer, info);
    }

    private InvalidDataException Damaged(string file, string why)
        => new($"The language-model folder '{Path}' is damaged: {file} cannot be used because {why}. Train the model again (agd lm train -o {Path}).");
}

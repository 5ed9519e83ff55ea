using Microsoft.ML.Agd.Samples.Jobs;
using System.Security.Cryptography;
using System.Text;

namespace Microsoft.ML.Agd.Samples.Language;

/// <summary>
/// Everything <c>agd lm train</c> made a language model from, written as its folder's run.json: the text (where, and the
/// SHA-256 of its characters as read), the tokens, every setting of the GPT and its run, and what ran it.
/// <c>agd lm train --config run.json</c> replays it; on the same machine the replay's model.bin is the original's.
/// </summary>
internal sealed record LanguageModelConfiguration
{
    /// <summary>The file's format (<see cref="RunFile.CurrentFormat"/>).</summary>
    public required int Format { get; init; }
    /// <summary>The text file or folder, in full.</summary>
    public required string Text { get; init; }
    /// <summary>SHA-256 of the text as read (UTF-8).</summary>
    public required string TextFingerprint { get; init; }
    /// <summary>char or gpt2.</summary>
    public required string Tokens { get; init; }
    /// <summary>Transformer blocks.</summary>
    public required int Layers { get; init; }
    /// <summary>Attention heads per block.</summary>
    public required int Heads { get; init; }
    /// <summary>Width of the residual stream.</summary>
    public required int Width { get; init; }
    /// <summary>Tokens the model reads at once.</summary>
    public required int Context { get; init; }
    /// <summary>Sequences per step.</summary>
    public required int BatchSize { get; init; }
    /// <summary>Training steps.</summary>
    public required int Iterations { get; init; }
    /// <summary>Steps between two estimates of the losses.</summary>
    public required int EvaluationInterval { get; init; }
    /// <summary>Batches each estimate averages.</summary>
    public required int EvaluationBatches { get; init; }
    /// <summary>Seed of the weights and the batches.</summary>
    public required int Seed { get; init; }
    /// <summary>What ran it.</summary>
    public required RunFile.Provenance Ran { get; init; }

    /// <summary>The configuration of a run of <paramref name="settings"/> on a text.</summary>
    public static LanguageModelConfiguration Of(string path, string text, string tokens, LanguageModelSettings settings) => new()
    {
        Format = RunFile.CurrentFormat, Text = Path.GetFullPath(path), TextFingerprint = Fingerprint(text), Tokens = tokens,
        Layers = settings.Layers, Heads = settings.Heads, Width = settings.Width, Context = settings.Context, BatchSize = settings.BatchSize,
        Iterations = settings.Iterations, EvaluationInterval = settings.EvaluationInterval, EvaluationBatches = settings.EvaluationBatches, Seed = settings.Seed,
        Ran = RunFile.Provenance.Current,
    };

    /// <summary>The settings it records.</summary>
    public LanguageModelSettings Settings => new()
    {
        Layers = Layers, Heads = Heads, Width = Width, Context = Context, BatchSize = BatchSize, Iterations = Iterations,
        EvaluationInterval = EvaluationInterval, EvaluationBatches = EvaluationBatches, Seed = Seed,
    };

    /// <summary>Reads a language model's run.json (<see cref="RunFile.Read"/>).</summary>
    public static LanguageModelConfiguration Read(string path) => RunFile.Read<LanguageModelConfiguration>(path, "agd lm train");

    /// <summary>SHA-256 of a text's characters, as UTF-8.</summary>
    public static string Fingerprint(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>Checks that a text read for a replay is the one the run trained on.</summary>
    /// <exception cref="InvalidDataException">It is not; the message says so and what to do.</exception>
    public void CheckText(string text)
    {
        string found = Fingerprint(text);
        if (found != TextFingerprint)
            throw new InvalidDataException($"The text in '{Text}' is not the text the replayed run trained on (its SHA-256 is {found}, the run's {TextFingerprint}): " +
                "it was changed since. Replay it on the same text, or train anew with options.");
    }
}

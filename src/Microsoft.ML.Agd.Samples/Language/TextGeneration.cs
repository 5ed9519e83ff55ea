using Microsoft.ML.Agd.Models;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Samples.Language;

/// <summary>Text from a GPT: each next token drawn from its softmax at a temperature, with a seeded generator (the same seed, the same text).</summary>
internal static class TextGeneration
{
    /// <summary>A sample of the model's text, from a newline (or, where the text has none, token 0), at temperature 0.8 as nanoGPT's or another.</summary>
    public static string Sample(Gpt model, TextTokenizer tokenizer, int count, int seed, double temperature = 0.8)
    {
        // A character tokenizer knows only its text's characters; GPT-2's knows every text.
        int[] start = tokenizer.Characters is { Count: > 0 } characters && !characters.Contains("\n") ? [0] : tokenizer.Encode("\n");
        return tokenizer.Decode(Continue(model, start, count, temperature, seed));
    }

    /// <summary>The most tokens one call generates: a million, minutes of text on a CPU.</summary>
    public const int MaxCount = 1_000_000;

    /// <summary>The ids of <paramref name="count"/> tokens that follow <paramref name="prompt"/>, each told to <paramref name="onToken"/> as it is drawn.</summary>
    /// <exception cref="ArgumentException">The prompt is empty, the count out of range or the temperature not positive.</exception>
    public static int[] Continue(Gpt model, IReadOnlyList<int> prompt, int count, double temperature, int seed, Action<int>? onToken = null)
    {
        if (count is < 1 or > MaxCount)
            throw new ArgumentOutOfRangeException("--length", count, $"--length must be between 1 and {MaxCount:N0} tokens.");
        if (prompt.Count == 0)
            throw new ArgumentException("The prompt has no tokens; give at least one character (for example a newline).", nameof(prompt));
        if (!(temperature > 0) || !double.IsFinite(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "The temperature must be a positive, finite number (1 samples the model as it is; lower is more conservative).");
        using var noGrad = no_grad();
        model.eval();
        var generator = new Generator((ulong)seed);
        var tokens = prompt.ToList();
        for (int i = 0; i < count; i++)
        {
            using var scope = NewDisposeScope();
            var window = tokens.TakeLast(model.ContextLength).Select(t => (long)t).ToArray();
            var logits = model.call(tensor(window).view(1, -1))[0, -1];
            // In float64, less the largest first: at a tiny temperature (which float32 would round to 0) the others go to
            // -infinity, probability 0, rather than all to NaN.
            var scaled = logits.to(ScalarType.Float64);
            var probabilities = nn.functional.softmax(scaled.sub(scaled.max()).div(temperature), 0);
            tokens.Add((int)multinomial(probabilities, 1, generator: generator).item<long>());
            onToken?.Invoke(tokens[^1]);
        }
        return [.. tokens.Skip(prompt.Count)];
    }
}

using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Samples.Language;

/// <summary>
/// A tokenized text split as nanoGPT splits it (the first 90 % trains, the last 10 % validates), with random windows
/// of it as batches: inputs [batch, context] and, one token on, the targets.
/// </summary>
internal sealed class TokenBatches
{
    /// <summary>The share of the tokens that trains.</summary>
    public const double TrainShare = 0.9;

    private TokenBatches(int[] train, int[] validation, int context) => (Train, Validation, Context) = (train, validation, context);

    /// <summary>The training tokens.</summary>
    public int[] Train { get; }

    /// <summary>The validation tokens.</summary>
    public int[] Validation { get; }

    /// <summary>Tokens a window holds.</summary>
    public int Context { get; }

    /// <summary>Splits the tokens of a text.</summary>
    /// <exception cref="InvalidDataException">A split is shorter than a window and its next token; the message says how long the text must be.</exception>
    public static TokenBatches Split(int[] tokens, int context)
    {
        int cut = (int)(tokens.Length * TrainShare);
        var (train, validation) = (tokens[..cut], tokens[cut..]);
        if (validation.Length <= context)
            throw new InvalidDataException($"The text has {tokens.Length} tokens; its last {1 - TrainShare:P0} (validation) has {validation.Length}, " +
                $"but a window of the context ({context} tokens) and the token after it need {context + 1L}. Give a text of at least {ShortestText(context)} tokens, or a shorter --context.");
        return new(train, validation, context);
    }

    // The fewest tokens whose validation share holds a window and its next token: about ten contexts, so counted in long
    // (a context near int.MaxValue needs a text longer than any array holds) and found from just below that estimate.
    private static long ShortestText(int context)
    {
        long length = Math.Max(context + 1L, (context + 1L) * 10 - 20);
        while (length - (long)(length * TrainShare) <= context)
            length++;
        return length;
    }

    /// <summary>Window starts for <paramref name="batches"/> batches of <paramref name="batchSize"/>, drawn from <paramref name="random"/> as they are read.</summary>
    public IEnumerable<int[]> Starts(int[] tokens, int batches, int batchSize, Random random)
    {
        for (int b = 0; b < batches; b++)
            yield return Enumerable.Range(0, batchSize).Select(_ => random.Next(tokens.Length - Context)).ToArray();
    }

    /// <summary>The batch of windows starting at <paramref name="starts"/>: inputs and targets, int64 [batch, context].</summary>
    public (Tensor Inputs, Tensor Targets) Batch(int[] tokens, int[] starts)
    {
        var inputs = new long[starts.Length * Context];
        var targets = new long[inputs.Length];
        for (int b = 0; b < starts.Length; b++)
            for (int t = 0; t < Context; t++)
            {
                inputs[b * Context + t] = tokens[starts[b] + t];
                targets[b * Context + t] = tokens[starts[b] + t + 1];
            }
        return (tensor(inputs).view(starts.Length, Context), tensor(targets).view(starts.Length, Context));
    }
}

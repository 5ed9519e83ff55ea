using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Models;

/// <summary>
/// A table of vectors looked up by index: a token's (by its id) or a position's (by its place in the context). AGD
/// reads its weight [count, width] as the linear map it is, from a one-hot vector of <c>count</c> entries to the width.
/// </summary>
internal sealed class TokenEmbedding : nn.Module<Tensor, Tensor>
{
    private readonly Embedding table;
    private readonly bool byPosition;

    private TokenEmbedding(string name, long count, long width, bool byPosition) : base(name)
    {
        table = nn.Embedding(count, width);
        this.byPosition = byPosition;
        RegisterComponents();
    }

    /// <summary>Looks tokens [batch, time] up: [batch, time, width].</summary>
    public static TokenEmbedding OfTokens(long vocabulary, long width) => new("TokenEmbedding", vocabulary, width, byPosition: false);

    /// <summary>Looks the positions 0 ... time-1 of tokens [batch, time] up: [time, width], the same for every sequence.</summary>
    public static TokenEmbedding OfPositions(long context, long width) => new("PositionEmbedding", context, width, byPosition: true);

    public override Tensor forward(Tensor tokens)
    {
        long count = table.weight!.shape[0];
        if (tokens.dtype != ScalarType.Int64 || tokens.dim() != 2)
            throw new ArgumentException($"A language model reads token ids as an int64 tensor [batch, time]; got {tokens.dtype} [{string.Join(", ", tokens.shape)}].", nameof(tokens));
        if (byPosition)
        {
            long time = tokens.shape[1];
            if (time > count)
                throw new ArgumentException($"The sequence has {time} tokens but the model's context holds {count}; give it at most the last {count}.", nameof(tokens));
            return table.call(arange(time, device: tokens.device));
        }
        if (tokens.numel() > 0 && (tokens.min().item<long>(), tokens.max().item<long>()) is var (low, high) && (low < 0 || high >= count))
            throw new ArgumentException($"A token id is outside the vocabulary of {count} (0 to {count - 1}): {low} to {high}.", nameof(tokens));
        return table.call(tokens);
    }
}

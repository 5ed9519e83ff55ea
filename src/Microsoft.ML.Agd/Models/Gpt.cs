using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Models;

/// <summary>
/// A GPT (decoder-only transformer, as GPT-2 and nanoGPT build it): token and position embeddings added, pre-LayerNorm
/// blocks of causal self-attention and a GELU MLP, a final LayerNorm and an output head with its own weight (not tied to
/// the token embedding). It maps token ids [batch, time] (int64) to next-token logits [batch, time, vocabulary].
/// </summary>
/// <remarks>
/// As a <see cref="Block"/> it declares how its layers compose, so AGD takes its depth from the residual stream
/// (docs/research/language-model.md) and each LayerNorm moves with the layer it feeds. Linear layers have no biases, as in nanoGPT.
/// </remarks>
public sealed class Gpt : Block
{
    private readonly TokenEmbedding tokens, positions;
    private readonly ModuleList<TransformerBlock> blocks;
    private readonly LayerNorm finalNorm;
    private readonly Linear head;

    /// <summary>Creates the network, with TorchSharp's default initialisation (AGD's is <c>AgdInitialization.Apply</c>).</summary>
    /// <param name="vocabularySize">Number of distinct tokens.</param>
    /// <param name="contextLength">Longest sequence the model reads (its number of positions).</param>
    /// <param name="layers">Number of transformer blocks.</param>
    /// <param name="heads">Attention heads per block; must divide <paramref name="width"/>.</param>
    /// <param name="width">Width of the residual stream (the embedding size).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or the heads do not divide the width.</exception>
    public Gpt(int vocabularySize, int contextLength, int layers = 4, int heads = 4, int width = 128) : base(nameof(Gpt))
    {
        Check.Positive(vocabularySize, nameof(vocabularySize));
        Check.Positive(contextLength, nameof(contextLength));
        Check.Positive(layers, nameof(layers));
        Check.Positive(heads, nameof(heads));
        Check.Positive(width, nameof(width));
        if (width % heads != 0)
            throw new ArgumentOutOfRangeException(nameof(heads), heads, $"The {heads} heads must divide the width {width} evenly; choose a width that is a multiple of the heads.");
        (VocabularySize, ContextLength, Layers, Heads, Width) = (vocabularySize, contextLength, layers, heads, width);
        tokens = TokenEmbedding.OfTokens(vocabularySize, width);
        positions = TokenEmbedding.OfPositions(contextLength, width);
        blocks = new ModuleList<TransformerBlock>(Enumerable.Range(0, layers).Select(_ => new TransformerBlock(width, heads)).ToArray());
        finalNorm = nn.LayerNorm(width);
        head = nn.Linear(width, vocabularySize, hasBias: false);
        RegisterComponents();
    }

    /// <summary>Number of distinct tokens.</summary>
    public int VocabularySize { get; }

    /// <summary>Longest sequence the model reads.</summary>
    public int ContextLength { get; }

    /// <summary>Number of transformer blocks.</summary>
    public int Layers { get; }

    /// <summary>Attention heads per block.</summary>
    public int Heads { get; }

    /// <summary>Width of the residual stream.</summary>
    public int Width { get; }

    /// <inheritdoc />
    public override T Compute<T>(IBlockOps<T> ops, T input)
    {
        var x = ops.Add(ops.Apply(tokens, input), ops.Apply(positions, input));
        foreach (var block in blocks)
            x = ops.Apply(block, x);
        return ops.Apply(head, ops.Apply(finalNorm, x));
    }
}

using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Models;

/// <summary>
/// Multi-head causal self-attention, as in GPT-2: query, key and value projections of the input, each position attending
/// to itself and those before it, and an output projection. Each projection is its own linear layer (one weight each), so
/// that AGD gives each its own scale and norm.
/// </summary>
internal sealed class CausalSelfAttention : Block
{
    private readonly Linear query, key, value, output;
    private readonly int heads;

    public CausalSelfAttention(long width, int heads) : base(nameof(CausalSelfAttention))
    {
        query = nn.Linear(width, width, hasBias: false);
        key = nn.Linear(width, width, hasBias: false);
        value = nn.Linear(width, width, hasBias: false);
        output = nn.Linear(width, width, hasBias: false);
        this.heads = heads;
        RegisterComponents();
    }

    public override T Compute<T>(IBlockOps<T> ops, T x)
        => ops.Apply(output, ops.Attention(ops.Apply(query, x), ops.Apply(key, x), ops.Apply(value, x), heads));
}

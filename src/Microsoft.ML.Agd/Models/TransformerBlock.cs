using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Models;

/// <summary>
/// GPT-2's pre-LayerNorm block: x + attention(norm(x)), then x + mlp(norm(x)) with a GELU MLP four times wider. Each
/// norm's scale and shift move with the first layer that reads it (the query projection, the MLP's first layer).
/// </summary>
internal sealed class TransformerBlock : Block
{
    private readonly LayerNorm attentionNorm, mlpNorm;
    private readonly CausalSelfAttention attention;
    private readonly Linear expand, contract;
    private readonly GELU gelu;

    public TransformerBlock(long width, int heads) : base(nameof(TransformerBlock))
    {
        attentionNorm = nn.LayerNorm(width);
        attention = new CausalSelfAttention(width, heads);
        mlpNorm = nn.LayerNorm(width);
        expand = nn.Linear(width, 4 * width, hasBias: false);
        gelu = nn.GELU();
        contract = nn.Linear(4 * width, width, hasBias: false);
        RegisterComponents();
    }

    public override T Compute<T>(IBlockOps<T> ops, T x)
    {
        x = ops.Add(x, ops.Apply(attention, ops.Apply(attentionNorm, x)));
        var hidden = ops.Apply(gelu, ops.Apply(expand, ops.Apply(mlpNorm, x)));
        return ops.Add(x, ops.Apply(contract, hidden));
    }
}

using Microsoft.ML.Agd.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Optim;

/// <summary>
/// A block's description run on AGD's depth: how far a relative change of every layer's weights, by the same small
/// amount, can move a value, in units of that amount (docs/research/residual-depth.md derives the rules). In series the layers'
/// depths add, so a network in series has depth L, its layer count, as the paper's bound says. A sum a + b moves by at
/// most the norm-weighted mean of its terms' moves, so a residual branch adds its depth to the stream's in proportion to
/// its share of the sum's norm. What flows is a value's depth and its power (mean square, in units of the input's) as
/// AGD's initialisation leaves it: a layer keeps the power, a normalisation makes it 1, relu halves it.
/// </summary>
internal sealed class DepthOps : IBlockOps<DepthOps.Path>
{
    /// <summary>A value's depth and power.</summary>
    public readonly record struct Path(double Depth, double Power);

    /// <summary>
    /// What attention adds to the depth of its projections: nothing. Its output is a mean of the values weighted by a
    /// softmax, which moves with the values; a change of the query-key logits moves the weights by at most half as much
    /// (the softmax's Jacobian), and by about 1/t of that where a position attends to t others nearly evenly, as at AGD's
    /// initialisation. The experimental repository counts the product as one more layer ("attention is depth 3");
    /// measured on nanoGPT's configuration it steps too little (docs/research/language-model.md).
    /// </summary>
    public const double AttentionDepth = 0;

    private readonly double _attentionDepth;

    private DepthOps(double attentionDepth) => _attentionDepth = attentionDepth;

    /// <summary>The rules with the library's attention depth, for a reading of its own (<see cref="TracedDepth"/>).</summary>
    public static DepthOps Rules => new(AttentionDepth);

    /// <summary>
    /// The depth of a module: its description's, for a block; its layer count, in series, for any other module. Also
    /// whether some part with several layers (not a block, not a Sequential) had to be counted in series unseen.
    /// </summary>
    /// <param name="module">The network.</param>
    /// <param name="layers">Its number of layers.</param>
    /// <param name="attentionDepth">What attention adds (benchmarks measure the alternatives).</param>
    public static (double Depth, bool CountedInSeries) Of(nn.Module module, int layers, double attentionDepth = AttentionDepth)
    {
        var ops = new DepthOps(attentionDepth);
        double depth = ops.Apply(module, new Path(0, 1)).Depth;
        return (module is Block ? depth : layers, ops._countedInSeries);
    }

    private bool _countedInSeries;

    public Path Apply(nn.Module module, Path x) => module switch
    {
        Block block => block.Compute(this, x),
        _ when LayerGrouping.IsNormalisation(module) => x with { Power = 1 },
        _ when LayerGrouping.WeightCount(module, recurse: false) > 0 => x with { Depth = x.Depth + 1 },
        ReLU or GELU => Relu(x),
        // A module that is not a block (a user's Sequential): its layers in series.
        _ => InSeries(module, x),
    };

    private Path InSeries(nn.Module module, Path x)
    {
        int layers = LayerGrouping.WeightCount(module, recurse: true);
        _countedInSeries |= layers > 1 && module is not Sequential;
        return x with { Depth = x.Depth + layers };
    }

    public Path Relu(Path x) => x with { Power = x.Power / 2 };

    public Path Scale(Path x, double factor) => x with { Power = x.Power * factor * factor };

    // ||Δ(a + b)|| <= ||Δa|| + ||Δb||, and with the norms of aligned terms ||a + b|| = ||a|| + ||b||: the sum's relative
    // change is the norm-weighted mean of the terms'. The terms' powers add, as those of independent values do.
    public Path Add(Path a, Path b)
    {
        double na = Math.Sqrt(a.Power), nb = Math.Sqrt(b.Power);
        return new Path((na * a.Depth + nb * b.Depth) / (na + nb), a.Power + b.Power);
    }

    // The output moves with the deepest of its inputs plus what the query-key product adds; a weighted mean of the values
    // has at most their power.
    public Path Attention(Path query, Path key, Path value, int heads)
        => new(Math.Max(value.Depth, Math.Max(query.Depth, key.Depth)) + _attentionDepth, value.Power);

    public Path Flatten(Path x) => x;

    public Path GlobalAveragePool(Path x) => x;

    public Path Standardize(Path x, Tensor mean, Tensor deviation) => x with { Power = 1 };
}

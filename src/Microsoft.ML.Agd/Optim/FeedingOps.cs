using Microsoft.ML.Agd.Models;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Optim;

/// <summary>
/// A block's description run on AGD's bookkeeping: what flows is the set of normalisations whose output no layer has
/// read yet. The first weight module (linear or convolution) to read a value claims them: their scale and shift move
/// with it, as a pre-activation norm's move with the convolution it feeds.
/// </summary>
internal sealed class FeedingOps : IBlockOps<FeedingOps.Pending>
{
    /// <summary>Normalisations whose output is on its way to a layer.</summary>
    public sealed record Pending(IReadOnlyList<nn.Module> Norms)
    {
        public static readonly Pending None = new([]);
    }

    private readonly List<(nn.Module Weight, List<nn.Module> Members)> _layers = [];
    private readonly HashSet<nn.Module> _claimed = new(ReferenceEqualityComparer.Instance);

    /// <summary>The layers a block's description declares: each weight module with the normalisations it reads first.</summary>
    public static IEnumerable<(nn.Module Weight, IReadOnlyList<nn.Module> Members)> Layers(Block block)
    {
        var ops = new FeedingOps();
        block.Compute(ops, Pending.None);
        return ops._layers.Where(l => l.Members.Count > 0).Select(l => (l.Weight, (IReadOnlyList<nn.Module>)l.Members));
    }

    public Pending Apply(nn.Module module, Pending x) => module switch
    {
        Block block => block.Compute(this, x),
        _ when LayerGrouping.IsNormalisation(module) => new Pending([.. x.Norms, module]),
        _ when LayerGrouping.WeightCount(module, recurse: false) > 0 => Claim(module, x),
        // A module with layers inside that is not a block (a user's Sequential) is grouped by its registration order.
        _ when module.parameters().Any() => Pending.None,
        _ => x, // activations, pooling, dropout: the value still comes from the same normalisations
    };

    private Pending Claim(nn.Module weight, Pending x)
    {
        var members = x.Norms.Where(_claimed.Add).ToList();
        _layers.Add((weight, members));
        return Pending.None;
    }

    public Pending Relu(Pending x) => x;

    public Pending Scale(Pending x, double factor) => x;

    public Pending Add(Pending a, Pending b) => new([.. a.Norms, .. b.Norms]);

    public Pending Attention(Pending query, Pending key, Pending value, int heads) => new([.. query.Norms, .. key.Norms, .. value.Norms]);

    public Pending Flatten(Pending x) => x;

    public Pending GlobalAveragePool(Pending x) => x;

    public Pending Standardize(Pending x, Tensor mean, Tensor deviation) => x;
}

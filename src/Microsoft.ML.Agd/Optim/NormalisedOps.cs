using Microsoft.ML.Agd.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Optim;

/// <summary>
/// A network's description run to find the layers whose output a batch or instance norm reads directly: such a norm
/// divides each channel by its own spread (and takes out its mean, a bias with it), so the network computes the same
/// function whatever the scale of the layer's weight, provided nothing else reads that output (a residual sum would see
/// the scale). What flows is the weight module whose output a value is, as long as nothing else has touched it; a module
/// of the user's own kind hides its layers, and none of them is found.
/// </summary>
internal sealed class NormalisedOps : IBlockOps<nn.Module?>
{
    private readonly HashSet<nn.Module> _normalised = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<nn.Module> _readElsewhere = new(ReferenceEqualityComparer.Instance);

    /// <summary>The weight modules whose output a batch or instance norm reads directly.</summary>
    public static IReadOnlySet<nn.Module> Of(nn.Module network)
    {
        var ops = new NormalisedOps();
        ops.Read(ops.Apply(network, null));
        ops._normalised.ExceptWith(ops._readElsewhere);
        return ops._normalised;
    }

    public nn.Module? Apply(nn.Module module, nn.Module? x)
    {
        switch (module)
        {
            case Block block:
                return block.Compute(this, x);
            case Sequential sequential:
                return sequential.children().Aggregate(x, (value, child) => Apply(child, value));
            case BatchNorm1d or BatchNorm2d or BatchNorm3d or InstanceNorm1d or InstanceNorm2d or InstanceNorm3d:
                if (x is not null)
                    _normalised.Add(x);
                return null;
            default:
                Read(x);
                return LayerGrouping.WeightCount(module, recurse: false) > 0 ? module : null;
        }
    }

    // A layer's output read by anything but a batch or instance norm (the network's output included).
    private nn.Module? Read(params nn.Module?[] values)
    {
        foreach (var value in values)
            if (value is not null)
                _readElsewhere.Add(value);
        return null;
    }

    public nn.Module? Relu(nn.Module? x) => Read(x);

    public nn.Module? Scale(nn.Module? x, double factor) => Read(x);

    public nn.Module? Add(nn.Module? a, nn.Module? b) => Read(a, b);

    public nn.Module? Attention(nn.Module? query, nn.Module? key, nn.Module? value, int heads) => Read(query, key, value);

    public nn.Module? Flatten(nn.Module? x) => Read(x);

    public nn.Module? GlobalAveragePool(nn.Module? x) => Read(x);

    public nn.Module? Standardize(nn.Module? x, Tensor mean, Tensor deviation) => Read(x);
}

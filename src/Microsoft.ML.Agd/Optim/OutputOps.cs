using Microsoft.ML.Agd.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Optim;

/// <summary>
/// A network's description run to find its output layer: what flows is the weight module (linear or convolution) whose
/// output a value is, passed through what has no weight of its own (activations, pooling, normalisations). A sum has no
/// single layer; a Sequential's last layer is its output's; a module of the user's own kind hides which layer is last.
/// </summary>
internal sealed class OutputOps : IBlockOps<nn.Module?>
{
    private static readonly OutputOps s_instance = new();

    /// <summary>The weight module whose output is the network's output, or null where it cannot be told.</summary>
    public static nn.Module? Of(nn.Module network) => s_instance.Apply(network, null);

    public nn.Module? Apply(nn.Module module, nn.Module? x) => module switch
    {
        Block block => block.Compute(this, x),
        Sequential sequential => sequential.children().Aggregate(x, (value, child) => Apply(child, value)),
        _ when LayerGrouping.WeightCount(module, recurse: false) > 0 => module,
        _ when LayerGrouping.WeightCount(module, recurse: true) > 0 => null,
        _ => x,
    };

    public nn.Module? Relu(nn.Module? x) => x;

    public nn.Module? Scale(nn.Module? x, double factor) => x;

    public nn.Module? Add(nn.Module? a, nn.Module? b) => null;

    public nn.Module? Attention(nn.Module? query, nn.Module? key, nn.Module? value, int heads) => null;

    public nn.Module? Flatten(nn.Module? x) => x;

    public nn.Module? GlobalAveragePool(nn.Module? x) => x;

    public nn.Module? Standardize(nn.Module? x, Tensor mean, Tensor deviation) => x;
}

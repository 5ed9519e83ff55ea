using Microsoft.ML.Agd.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Optim;

/// <summary>
/// Turns a module's parameters into AGD layers. Every module's rank-2/4 weight heads a layer, which its own rank-1
/// parameters (a bias) join. A normalisation's scale and shift join the layer that a <see cref="Block"/>'s description
/// feeds it to. Where no block's description says, registration order decides: a LayerNorm joins the next layer (the
/// one it feeds in a pre-LayerNorm transformer), any other normalisation the layer before it (as in conv-norm networks).
/// An embedding's table is a layer in its true orientation (<see cref="AgdLayer.IsEmbedding"/>).
/// </summary>
internal static class LayerGrouping
{
    private sealed record Layer(string Name, nn.Module Module, Parameter Weight, bool IsEmbedding, List<(string Name, Parameter Parameter, bool IsScale)> Members);

    public static IReadOnlyList<AgdLayer> Group(nn.Module module)
    {
        // Whether or not named_modules() lists the root itself, it comes first, once.
        var modules = module.named_modules().Where(m => m.name.Length > 0).Prepend((name: "", module)).ToList();
        // A block's description is read for every block it holds too: the first declaration of a member counts.
        var declaredWeightOf = new Dictionary<nn.Module, nn.Module>(ReferenceEqualityComparer.Instance);
        foreach (var layer in modules.Select(m => m.Item2).OfType<Block>().SelectMany(FeedingOps.Layers))
            foreach (var member in layer.Members)
                declaredWeightOf.TryAdd(member, layer.Weight);

        var layers = new List<Layer>();
        var owners = new Dictionary<IntPtr, string>();
        var awaitingNext = new List<(string Name, Parameter Parameter, bool IsScale)>();
        var layerOf = new Dictionary<nn.Module, Layer>((IEqualityComparer<nn.Module>)ReferenceEqualityComparer.Instance);
        var declaredMembers = new List<(nn.Module Member, string Name, Parameter Parameter, bool IsScale)>();
        foreach (var (moduleName, child) in modules)
        {
            var own = child.named_parameters(recurse: false).Where(p => p.parameter.requires_grad).ToList();
            var weights = own.Where(p => p.parameter.dim() is 2 or 4).ToList();
            if (weights.Count > 1)
                throw new NotSupportedException($"Module '{moduleName}' ({child.GetType().Name}) holds {weights.Count} rank-2/4 weights; AGD needs one weight per module so that its bias and normalisation are unambiguous.");
            if (weights.Count == 1)
            {
                var layer = new Layer(Qualify(moduleName, weights[0].name), child, weights[0].parameter, child is Embedding, [.. awaitingNext]);
                // Tied weights share memory (TorchSharp gives each module its own handle to it).
                if (!owners.TryAdd(TensorMemory.Address(layer.Weight), layer.Name))
                    throw new NotSupportedException($"Weight '{layer.Name}' is the same tensor as '{owners[TensorMemory.Address(layer.Weight)]}' (tied weights, as a GPT's output head often shares its token embedding). AGD gives each layer its own scale and step: give '{layer.Name}' a weight of its own.");
                awaitingNext.Clear();
                layers.Add(layer);
                layerOf[child] = layer;
            }
            foreach (var (name, parameter) in own.Where(p => p.parameter.dim() is not (2 or 4)))
            {
                string qualified = Qualify(moduleName, name);
                if (parameter.dim() != 1)
                    throw new NotSupportedException($"Parameter '{qualified}' has rank {parameter.dim()} (shape [{string.Join(", ", parameter.shape)}]); AGD handles rank-2 and rank-4 weights and their rank-1 biases and affine parameters.");
                bool isScale = IsNormalisation(child) && name == "weight";
                if (weights.Count == 1)
                    layerOf[child].Members.Add((qualified, parameter, isScale));
                else if (declaredWeightOf.ContainsKey(child))
                    declaredMembers.Add((child, qualified, parameter, isScale));
                else if (child is LayerNorm)
                    awaitingNext.Add((qualified, parameter, isScale));
                else if (IsNormalisation(child) && layers.Count > 0)
                    layers[^1].Members.Add((qualified, parameter, isScale));
                else
                    throw NoLayer(qualified);
            }
        }
        // A LayerNorm after the last layer has no layer to feed: it moves with the one before it.
        if (awaitingNext.Count > 0)
            (layers.Count > 0 ? layers[^1].Members : throw NoLayer(awaitingNext[0].Name)).AddRange(awaitingNext);
        foreach (var (member, name, parameter, isScale) in declaredMembers)
            (layerOf.TryGetValue(declaredWeightOf[member], out var layer) ? layer
                : throw new NotSupportedException($"Parameter '{name}' is declared a member of a module with no trainable rank-2/4 weight; declare it with the linear layer or convolution it belongs to."))
                .Members.Add((name, parameter, isScale));
        // The layer that computes the logits (never an embedding, which reads token ids).
        var output = OutputOps.Of(module);
        var normalised = NormalisedOps.Of(module);
        return layers.Select(l => new AgdLayer(l.Name, l.Weight, l.Members, l.IsEmbedding, !l.IsEmbedding && ReferenceEquals(l.Module, output))
        {
            IsNormalised = normalised.Contains(l.Module),
        }).ToList();
    }

    private static NotSupportedException NoLayer(string parameter)
        => new($"Parameter '{parameter}' belongs to no layer: it is neither in a module with a rank-2/4 weight nor in a normalisation next to one. Move it into such a module or freeze it (requires_grad = false).");

    private static string Qualify(string module, string parameter) => module.Length == 0 ? parameter : $"{module}.{parameter}";

    /// <summary>The trainable rank-2/4 weights a module holds (itself only, or with its children): each heads a layer.</summary>
    internal static int WeightCount(nn.Module module, bool recurse) => module.parameters(recurse).Count(p => p.requires_grad && p.dim() is 2 or 4);

    internal static bool IsNormalisation(nn.Module module)
        => module is BatchNorm1d or BatchNorm2d or BatchNorm3d or LayerNorm or GroupNorm or InstanceNorm1d or InstanceNorm2d or InstanceNorm3d;
}

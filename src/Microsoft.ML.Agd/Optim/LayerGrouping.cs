using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Optim;

/// <summary>
/// Turns a module's parameters into AGD layers by module structure: a module's rank-2/4 weight heads a layer and its own
/// rank-1 parameters join it; a normalisation module's scale and shift join the layer that precedes it.
/// </summary>
internal static class LayerGrouping
{
    public static IReadOnlyList<AgdLayer> Group(nn.Module module)
    {
        var layers = new List<(string Name, Parameter Weight, List<(string, Parameter, bool)> Members)>();
        // Whether or not named_modules() lists the root itself, it comes first, once.
        var modules = module.named_modules().Where(m => m.name.Length > 0).Prepend((name: "", module));
        foreach (var (moduleName, child) in modules)
        {
            var own = child.named_parameters(recurse: false).Where(p => p.parameter.requires_grad).ToList();
            var weights = own.Where(p => p.parameter.dim() is 2 or 4).ToList();
            if (weights.Count > 1)
                throw new NotSupportedException($"Module '{moduleName}' ({child.GetType().Name}) holds {weights.Count} rank-2/4 weights; AGD needs one weight per module so that its bias and normalisation are unambiguous.");
            if (weights.Count == 1)
                layers.Add((Qualify(moduleName, weights[0].name), weights[0].parameter, []));

            foreach (var (name, parameter) in own.Where(p => p.parameter.dim() is not (2 or 4)))
            {
                string qualified = Qualify(moduleName, name);
                if (parameter.dim() != 1)
                    throw new NotSupportedException($"Parameter '{qualified}' has rank {parameter.dim()} (shape [{string.Join(", ", parameter.shape)}]); AGD handles rank-2 and rank-4 weights and their rank-1 biases and affine parameters.");
                bool ownsLayer = weights.Count == 1;
                bool isNormalisation = IsNormalisation(child);
                if (!ownsLayer && !(isNormalisation && layers.Count > 0))
                    throw new NotSupportedException($"Parameter '{qualified}' belongs to no layer: it is neither in a module with a rank-2/4 weight nor in a normalisation that follows one. Move it into such a module or freeze it (requires_grad = false).");
                layers[^1].Members.Add((qualified, parameter, isNormalisation && name == "weight"));
            }
        }
        return layers.Select(l => new AgdLayer(l.Name, l.Weight, l.Members)).ToList();
    }

    private static string Qualify(string module, string parameter) => module.Length == 0 ? parameter : $"{module}.{parameter}";

    private static bool IsNormalisation(nn.Module module)
        => module is BatchNorm1d or BatchNorm2d or BatchNorm3d or LayerNorm or GroupNorm or InstanceNorm1d or InstanceNorm2d or InstanceNorm3d;
}

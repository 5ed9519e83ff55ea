using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Optim;

/// <summary>
/// The depth of a network of plain modules, read from one forward pass on an example input: forward hooks record every
/// leaf module's input and output; an input equal to an earlier value continues that value's path, one equal to the
/// sum of two earlier values (one may broadcast) is a residual addition, and any other is a function of the latest
/// output that adds no layer (relu or gelu, found by value, halve its power; attention keeps it). Each module then
/// applies <see cref="DepthOps"/>' rules, so that a network gets the depth its <see cref="Models.Block"/> description
/// would give (docs/research/residual-depth.md, section 8).
/// </summary>
internal static class TracedDepth
{
    /// <summary>Why a trace cannot follow the network (it, or a leaf module named, does not map one tensor to one), or null where it can.</summary>
    public static string? Unreadable(nn.Module network)
    {
        if (network is not nn.Module<Tensor, Tensor>)
            return $"the network ({network.GetType().Name}) does not map one tensor to one";
        var (name, leaf) = network.named_modules().FirstOrDefault(m => !m.module.children().Any() && m.module is not nn.Module<Tensor, Tensor>);
        return leaf is null ? null : $"its module '{name}' ({leaf.GetType().Name}) does not map one tensor to one";
    }

    /// <summary>The traced depth of a network that <see cref="Unreadable"/> finds readable.</summary>
    public static double Of(nn.Module<Tensor, Tensor> network, Tensor example)
    {
        if (Unreadable(network) is { } why)
            throw new InvalidOperationException($"AGD cannot trace this network: {why}.");
        var leaves = network.modules().Where(m => !m.children().Any()).ToList();
        var ops = DepthOps.Rules;
        var values = new List<(Tensor Value, DepthOps.Path Path)> { (example, new DepthOps.Path(0, 1)) };
        var removers = new List<Action>();
        foreach (var leaf in leaves.Cast<nn.Module<Tensor, Tensor>>())
        {
            var hook = leaf.register_forward_hook((module, input, output) =>
            {
                var path = module is Embedding ? new DepthOps.Path(0, 1) : Resolve(values, input, ops);
                values.Add((output.detach().clone(), ops.Apply(module, path)));
                return output;
            });
            removers.Add(() => hook.remove());
        }
        bool training = network.training;
        try
        {
            network.eval();
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            network.call(example);
            return values[^1].Path.Depth;
        }
        finally
        {
            removers.ForEach(remove => remove());
            network.train(training);
        }
    }

    private static DepthOps.Path Resolve(List<(Tensor Value, DepthOps.Path Path)> values, Tensor input, DepthOps ops)
    {
        for (int i = values.Count - 1; i >= 0; i--)
            if (Same(values[i].Value, input))
                return values[i].Path;
        for (int i = values.Count - 1; i >= 0; i--)
            for (int j = i - 1; j >= 0; j--)
                if (SumShaped(values[i].Value, values[j].Value, input) && allclose(values[i].Value + values[j].Value, input, 1e-4, 1e-5))
                    return Remember(values, input, ops.Add(values[i].Path, values[j].Path));
        var (latest, path) = values[^1];
        bool activation = latest.shape.SequenceEqual(input.shape) && latest.is_floating_point()
            && (allclose(nn.functional.relu(latest), input, 1e-5, 1e-6) || allclose(nn.functional.gelu(latest), input, 1e-4, 1e-5));
        return Remember(values, input, activation ? ops.Relu(path) : path);
    }

    private static DepthOps.Path Remember(List<(Tensor Value, DepthOps.Path Path)> values, Tensor input, DepthOps.Path path)
    {
        values.Add((input.detach().clone(), path));
        return path;
    }

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.dtype == b.dtype && allclose(a, b, 1e-5, 1e-6);

    // Whether a + b has the input's shape, one of them that shape and the other broadcasting (a position embedding over a batch).
    private static bool SumShaped(Tensor a, Tensor b, Tensor input)
    {
        if (!a.is_floating_point() || !b.is_floating_point() || !input.is_floating_point())
            return false;
        var (big, small) = a.dim() >= b.dim() ? (a, b) : (b, a);
        if (!big.shape.SequenceEqual(input.shape))
            return false;
        for (int k = 1; k <= small.dim(); k++)
            if (small.shape[^k] != 1 && small.shape[^k] != big.shape[^k])
                return false;
        return true;
    }
}

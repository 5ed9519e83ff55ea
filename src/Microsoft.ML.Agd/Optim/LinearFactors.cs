using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Optim;

/// <summary>
/// A linear layer's gradient as the product it is: G = D^T A over the rows of a batch, D the gradients of the layer's
/// outputs and A its inputs. A forward hook keeps each input and has each output keep its gradient, in forward passes that
/// record gradients. With R rows well below both sides of the weight, the polar step factorises the two thin factors
/// instead of the out x in gradient (<see cref="PolarStep"/>). What is kept lives in the caller's dispose scope, and is
/// let go at every step and <c>zero_grad</c>: a step after that scope has ended, or a gradient that is not a multiple of
/// D^T A (clipped value by value, accumulated over a zero_grad the optimizer did not make), is found and stepped from the
/// gradient itself.
/// </summary>
internal sealed class LinearFactors : IDisposable
{
    private readonly Dictionary<IntPtr, List<(Tensor Input, Tensor Output)>> _kept = [];
    private readonly List<Action> _removeHooks = [];

    // Forward passes kept per layer between two steps: a training step makes one or two.
    private const int MostPasses = 64;

    /// <summary>Starts keeping the factors of every <c>Linear</c> module of the network whose weight heads one of the layers.</summary>
    public LinearFactors(nn.Module network, IEnumerable<AgdLayer> layers)
    {
        var weights = layers.Where(l => !l.IsEmbedding && l.Weight.dim() == 2).Select(l => l.Weight.Handle).ToHashSet();
        foreach (var linear in network.modules().OfType<Linear>().Where(m => m.weight is { } w && weights.Contains(w.Handle)))
        {
            var weight = linear.weight!.Handle;
            var hook = linear.register_forward_hook((_, input, output) => Keep(weight, input, output));
            _removeHooks.Add(hook.remove);
        }
    }

    // The network goes on with a view of the output: a Sequential disposes each module's output once the next has read it,
    // and the output kept here must stay readable until the step.
    private Tensor Keep(IntPtr weight, Tensor input, Tensor output)
    {
        if (!is_grad_enabled() || !output.requires_grad)
            return output;
        output.retain_grad();
        if (!_kept.TryGetValue(weight, out var kept))
            _kept[weight] = kept = [];
        if (kept.Count == MostPasses)
            kept.Clear(); // forward passes without a step hold no more than this; the step then finds too few rows
        kept.Add((input.detach(), output));
        return output.view_as(output);
    }

    /// <summary>
    /// The rows of the layer's factors that this process kept, D [R, out] and A [R, in], or null where it kept none (or
    /// the forward passes' dispose scope has ended). Lets go of what was kept for the layer.
    /// </summary>
    public (Tensor D, Tensor A)? Rows(AgdLayer layer)
    {
        if (!_kept.Remove(layer.Weight.Handle, out var kept))
            return null;
        try
        {
            // A forward pass whose output no backward pass reached adds nothing to the gradient, nor here.
            var rows = kept.Select(k => (k.Input, Gradient: k.Output.grad)).Where(k => k.Gradient is not null).ToList();
            return rows.Count == 0 ? null
                : (cat([.. rows.Select(r => r.Gradient!.reshape(-1, r.Gradient!.shape[^1]))]), cat([.. rows.Select(r => r.Input.reshape(-1, r.Input.shape[^1]))]));
        }
        catch (InvalidOperationException) when (kept.Any(k => k.Input.IsInvalid || k.Output.IsInvalid))
        {
            return null; // the forward passes' dispose scope has ended
        }
    }

    /// <summary>
    /// c where a gradient is c D^T A (c is 1/2 where a training step averages two halves' gradients, each the mean of its
    /// rows, and what the gradient was scaled by after backward); null where it is not a multiple, as where it was clipped
    /// value by value or a forward pass's rows are missing. G v against D^T (A v) for a fixed random v, one product each.
    /// </summary>
    /// <param name="gradient">The layer's gradient.</param>
    /// <param name="norm">The gradient's Frobenius norm.</param>
    /// <param name="d">The rows of the outputs' gradients.</param>
    /// <param name="a">The rows of the inputs.</param>
    public static double? Multiple(Tensor gradient, double norm, Tensor d, Tensor a)
    {
        using var generator = new Generator(0xFAC7);
        var v = randn([gradient.shape[1], 1], dtype: gradient.dtype, generator: generator).to(gradient.device);
        var direct = gradient.matmul(v).to(ScalarType.Float64);
        var factored = d.t().to(ScalarType.Float64).matmul(a.to(ScalarType.Float64).matmul(v.to(ScalarType.Float64)));
        double c = direct.mul(factored).sum().item<double>() / factored.square().sum().item<double>();
        // The float32 gradient's own rounding is about 1e-7 of its norm; a gradient changed otherwise differs by a share of it.
        double tolerance = 1e-5 * norm * v.norm().item<float>();
        return c > 0 && direct.sub(factored.mul(c)).norm().item<double>() <= tolerance ? c : null;
    }

    /// <summary>Lets go of everything kept.</summary>
    public void Clear() => _kept.Clear();

    /// <summary>Removes the hooks.</summary>
    public void Dispose()
    {
        foreach (var remove in _removeHooks)
            remove();
        _removeHooks.Clear();
        Clear();
    }
}

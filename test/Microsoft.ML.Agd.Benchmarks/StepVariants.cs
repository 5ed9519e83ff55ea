using Microsoft.ML.Agd.Tests.TestData;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Benchmarks;

/// <summary>
/// Variants of an optimizer's step that the benchmarks measure, as optimizers of their own wrapped around it, so that
/// the library's optimizer carries no hook for them.
/// </summary>
internal static class StepVariants
{
    /// <summary>An optimizer's step with a hook after it (a probe, an average).</summary>
    public static ActionOptimizer After(optim.Optimizer inner, Action after) => new(inner.parameters(), () =>
    {
        inner.step();
        after();
    });

    /// <summary>
    /// AGD's step times a gain: W + gain * (W_after - W_before), exactly what multiplying every factor of AGD's update by
    /// the gain does (the paper's authors report that about 10 can train faster; not an option of the library).
    /// </summary>
    public static ActionOptimizer WithGain(AgdOptimizer agd, double gain)
    {
        var parameters = agd.Plan.Parameters().ToList();
        return new(parameters, () =>
        {
            using var scope = NewDisposeScope();
            var before = parameters.Select(p => p.detach().clone()).ToList();
            agd.step();
            for (int i = 0; i < parameters.Count; i++)
                parameters[i].sub_(before[i]).mul_(gain).add_(before[i]);
        });
    }

    /// <summary>
    /// AGD reading each gradient replaced by its exponential average m over steps (momentum, a diagnostic: not an option
    /// of the library); with Nesterov's form, by (1 - beta) g + beta m, the average one step ahead.
    /// </summary>
    public static ActionOptimizer WithMomentum(AgdOptimizer agd, double beta, bool nesterov)
    {
        var velocity = new Dictionary<Parameter, Tensor>();
        var parameters = agd.Plan.Parameters().ToList();
        return new(parameters, () =>
        {
            foreach (var p in parameters.Where(p => p.grad is not null))
            {
                if (velocity.TryGetValue(p, out var v))
                    v.mul_(beta).add_(p.grad!, alpha: 1 - beta);
                else
                    velocity[p] = p.grad!.clone().DetachFromDisposeScope();
                if (nesterov)
                    p.grad!.mul_(1 - beta).add_(velocity[p], alpha: beta);
                else
                    p.grad!.copy_(velocity[p]);
            }
            agd.step();
        });
    }
}

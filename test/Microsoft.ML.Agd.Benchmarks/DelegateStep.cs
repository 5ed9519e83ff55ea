namespace Microsoft.ML.Agd.Benchmarks;

/// <summary>An optimizer made of two delegates: benchmarks wrap AGD's step with what a diagnostic adds before or after it.</summary>
internal sealed class DelegateStep(Action zeroGrad, Func<double> step) : IOptimizerStep
{
    void IOptimizerStep.ZeroGrad() => zeroGrad();

    double IOptimizerStep.Step() => step();

    /// <summary>
    /// AGD reading each gradient replaced by its exponential average m over steps (momentum, a diagnostic: not an option
    /// of the library); with Nesterov's form, by (1 - beta) g + beta m, the average one step ahead.
    /// </summary>
    public static IOptimizerStep WithMomentum(AgdOptimizer agd, double beta, bool nesterov)
    {
        var velocity = new Dictionary<TorchSharp.Modules.Parameter, TorchSharp.torch.Tensor>();
        var parameters = agd.Layers.SelectMany(l => l.Members.Select(m => m.Parameter).Prepend(l.Weight)).ToList();
        return new DelegateStep(agd.ZeroGrad, () =>
        {
            using (TorchSharp.torch.no_grad())
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
            return agd.Step();
        });
    }
}

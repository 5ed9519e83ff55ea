namespace Microsoft.ML.Agd.Benchmarks;

/// <summary>An optimizer made of two delegates: benchmarks wrap AGD's step with what a diagnostic adds before or after it.</summary>
internal sealed class DelegateStep(Action zeroGrad, Func<double> step) : IOptimizerStep
{
    void IOptimizerStep.ZeroGrad() => zeroGrad();

    double IOptimizerStep.Step() => step();
}

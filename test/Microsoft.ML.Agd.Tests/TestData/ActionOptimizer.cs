using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Tests.TestData;

/// <summary>A TorchSharp optimizer whose step is any action (tests drive the training loops with steps of known effect).</summary>
internal sealed class ActionOptimizer : OptimizerHelper
{
    private readonly Action _step;

    public ActionOptimizer(IEnumerable<Parameter> parameters, Action step)
    {
        _step = step;
        _defaults = new OptimizerOptions();
        _parameter_groups = [new ParamGroup { Parameters = parameters.ToList(), Options = new OptimizerOptions() }];
    }

    public override Tensor step(Func<Tensor>? closure = null)
    {
        using var noGrad = no_grad();
        _step();
        return null!;
    }
}

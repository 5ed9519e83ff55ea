using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Tests.Training;

/// <summary>AGD, with every step's parameters written down in float64, in the module's order.</summary>
internal sealed class RecordedSteps
{
    private readonly AgdOptimizer _agd;

    public RecordedSteps(nn.Module network)
    {
        _agd = new AgdOptimizer(network);
        Optimizer = new ActionOptimizer(network.parameters(), () =>
        {
            _agd.step();
            Steps.Add(network.parameters().Select(p => p.data<float>().Select(v => (double)v).ToArray()).ToArray());
        });
    }

    /// <summary>The optimizer a loop drives: AGD's step, then the record.</summary>
    public optim.Optimizer Optimizer { get; }

    /// <summary>Each step's parameters, flattened.</summary>
    public List<double[][]> Steps { get; } = [];
}

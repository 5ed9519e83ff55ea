using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Tests.Training;

/// <summary>AGD, with every step's parameters written down in float64, in the module's order.</summary>
internal sealed class RecordedSteps(nn.Module network) : IOptimizerStep
{
    private readonly AgdOptimizer _agd = new(network);

    /// <summary>Each step's parameters, flattened.</summary>
    public List<double[][]> Steps { get; } = [];

    public void ZeroGrad() => _agd.ZeroGrad();

    public double Step()
    {
        double eta = _agd.Step();
        Steps.Add(network.parameters().Select(p => p.data<float>().Select(v => (double)v).ToArray()).ToArray());
        return eta;
    }
}

using Microsoft.ML.Agd.Optim;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Samples.Jobs;

/// <summary>One of TorchSharp's optimizers (Adam, SGD, ...) at a fixed learning rate, driven by the library's training loop for <c>agd compare</c>.</summary>
/// <param name="optimizer">The optimizer, over the network's parameters.</param>
/// <param name="learningRate">Its learning rate, reported as each step's.</param>
internal sealed class TorchOptimizerStep(optim.Optimizer optimizer, double learningRate) : IOptimizerStep
{
    /// <inheritdoc />
    public void ZeroGrad() => optimizer.zero_grad();

    /// <inheritdoc />
    public double Step()
    {
        optimizer.step();
        return learningRate;
    }
}

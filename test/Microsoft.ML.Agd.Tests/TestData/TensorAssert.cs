using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Tests.TestData;

internal static class TensorAssert
{
    public static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    public static long LiveTensors => TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;

    /// <summary>Trains a step on the input (a square loss), then five more, and asserts that they left no live tensor behind.</summary>
    public static void StepsLeaveNoTensorBehind(nn.Module<Tensor, Tensor> network, optim.Optimizer optimizer, Tensor input)
    {
        void TrainStep()
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            network.call(input).square().mean().backward();
            optimizer.step();
        }
        TrainStep();
        long before = LiveTensors;
        for (int i = 0; i < 5; i++)
            TrainStep();
        Assert.AreEqual(before, LiveTensors, "Live tensors must not grow across steps.");
    }
}

internal static class AgdOptimizerSteps
{
    /// <summary>Takes one step and returns its eta, as tests of the step's arithmetic read it.</summary>
    public static double StepEta(this AgdOptimizer agd)
    {
        agd.step();
        return agd.LastEta;
    }
}

/// <summary>Compares floats within a tolerance, for CollectionAssert.</summary>
internal sealed class FloatTolerance(float tolerance) : System.Collections.IComparer
{
    public int Compare(object? x, object? y) => Math.Abs((float)x! - (float)y!) <= tolerance ? 0 : 1;
}

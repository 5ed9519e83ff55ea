using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Tests.Training;

/// <summary>
/// The step the image trainer and the language model share: measured by halves it moves the weights as one backward pass
/// over the whole batch would (against a float64 gradient worked out in closed form), it tells AGD the gradient's signal
/// share, and a loss that is not finite moves nothing.
/// </summary>
[TestClass]
public class TrainingStepTests
{
    // y = x W^T for W [2, 3]; the loss is the mean over rows and outputs of (y - t)^2.
    private static (Tensor X, Tensor T) Batch(int rows)
    {
        var generator = new Generator(3);
        return (randn(rows, 3, generator: generator), randn(rows, 2, generator: generator));
    }

    private static Func<long, long, (Tensor, Tensor?)> SquareLoss(nn.Module<Tensor, Tensor> layer, Tensor x, Tensor t)
        => (start, count) =>
        {
            var y = layer.call(x.narrow(0, start, count));
            return (y.sub(t.narrow(0, start, count)).square().mean(), y);
        };

    [TestMethod]
    [DataRow(8)]
    [DataRow(7)]
    public void ByHalvesTheStepIsTheWholeBatchsGradientStep(int rows)
    {
        using var scope = NewDisposeScope();
        var (x, t) = Batch(rows);
        var layer = nn.Linear(3, 2, hasBias: false);
        var before = layer.weight!.detach().clone().to(ScalarType.Float64);
        var sgd = optim.SGD(layer.parameters(), 0.5);
        var step = new TrainingStep(sgd, measureNoise: true);

        var (loss, output) = step.Take(rows, SquareLoss(layer, x, t));

        // Closed form in float64: dL/dW = 2 / (rows * 2) (X W^T - T)^T X.
        var (x64, t64) = (x.to(ScalarType.Float64), t.to(ScalarType.Float64));
        var residual = x64.matmul(before.t()).sub(t64);
        var expected = before.sub(residual.t().matmul(x64).mul(2.0 / (rows * 2)).mul(0.5));
        Assert.AreEqual(0, layer.weight!.to(ScalarType.Float64).sub(expected).abs().max().item<double>(), 1e-6);
        Assert.AreEqual(residual.square().mean().item<double>(), loss, 1e-5, "the batch's loss is the halves' row-weighted mean");
        Assert.AreEqual(rows, output!.shape[0]);
        Assert.AreEqual(rows % 2 == 0 ? 1 : 0, step.Noise!.Count, "only equal halves are measured");
    }

    [TestMethod]
    public void AgdCountsTheSignalShareOfTheMeasuredNoise()
    {
        using var scope = NewDisposeScope();
        var (x, t) = Batch(8);
        var network = nn.Sequential(("fc", nn.Linear(3, 2, hasBias: false)));
        AgdInitialization.Apply(network, new Generator(5));
        using var agd = new AgdOptimizer(network);
        var step = new TrainingStep(agd, measureNoise: true);
        for (int i = 0; i < 10 && step.Noise!.Value is null; i++) // the estimate waits for a positive |G|^2
            step.Take(8, SquareLoss(network, x, t));
        double noise = step.Noise!.Value!.Value;
        Assert.AreEqual(8 / (8 + noise), agd.SignalShare, 1e-12);
        Assert.IsTrue(agd.SignalShare is > 0 and < 1);
    }

    [TestMethod]
    public void ALossThatIsNotFiniteMovesNothing()
    {
        using var scope = NewDisposeScope();
        var (x, t) = Batch(8);
        var layer = nn.Linear(3, 2, hasBias: false);
        var before = layer.weight!.detach().clone();
        var step = new TrainingStep(optim.SGD(layer.parameters(), 0.5), measureNoise: true);
        t[5, 1] = tensor(float.NaN); // in the second half: the first half's gradients are already taken
        var (loss, _) = step.Take(8, SquareLoss(layer, x, t));
        Assert.IsTrue(double.IsNaN(loss));
        Assert.IsTrue(layer.weight!.eq(before).all().item<bool>());
    }
}

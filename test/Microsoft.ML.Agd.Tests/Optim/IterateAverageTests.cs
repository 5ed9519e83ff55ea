using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Tests.Optim;

[TestClass]
public class IterateAverageTests
{
    [TestMethod]
    public void TheModuleEndsWithTheMeanOfItsLastTenthOfSteps()
    {
        using var module = nn.Linear(3, 2);
        const int steps = 25; // the last tenth: ceil(2.5) = 3 steps, 23 to 25
        using var average = new IterateAverage(module, steps);
        var parameters = module.parameters().ToList();
        var seen = new List<double[][]>();
        var random = new Random(7);
        for (int step = 1; step <= steps; step++)
        {
            using (no_grad())
                foreach (var p in parameters)
                    p.copy_(tensor(Enumerable.Range(0, (int)p.numel()).Select(_ => (float)(random.NextDouble() * 200 - 100)).ToArray()).view(p.shape));
            seen.Add(parameters.Select(p => p.detach().to(float64).data<double>().ToArray()).ToArray());
            average.Add();
        }

        Assert.IsTrue(average.CopyTo());
        Assert.AreEqual(steps, average.Steps);
        Assert.AreEqual(3, average.Averaged);
        for (int i = 0; i < parameters.Count; i++)
        {
            var actual = parameters[i].detach().to(float64).data<double>().ToArray();
            for (int j = 0; j < actual.Length; j++)
            {
                double expected = (seen[22][i][j] + seen[23][i][j] + seen[24][i][j]) / 3;
                Assert.AreEqual(expected, actual[j], 1e-5, $"parameter {i}, entry {j}");
            }
        }
    }

    [TestMethod]
    public void ARunStoppedBeforeItsLastTenthKeepsItsWeights()
    {
        using var module = nn.Linear(3, 2);
        using var average = new IterateAverage(module, steps: 10);
        for (int step = 0; step < 9; step++)
            average.Add();
        var before = module.weight!.detach().clone();

        Assert.IsFalse(average.CopyTo());
        Assert.AreEqual(0, average.Averaged);
        Assert.IsTrue(TensorAssert.Same(before, module.weight!));
    }

    [TestMethod]
    public void AveragingLeavesNoTensorBehind()
    {
        using var module = nn.Linear(3, 2);
        using var average = new IterateAverage(module, steps: 40); // the last tenth: steps 37 to 40
        for (int step = 0; step < 37; step++)
            average.Add(); // the last of these starts the sums
        long before = TensorAssert.LiveTensors;
        for (int step = 0; step < 3; step++)
            average.Add();
        average.CopyTo();
        Assert.AreEqual(before, TensorAssert.LiveTensors, "Live tensors must not grow as steps are averaged.");
    }

    [TestMethod]
    public void ARunOfNoStepsIsRefused()
    {
        using var module = nn.Linear(3, 2);
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new IterateAverage(module, 0));
        Assert.AreEqual("steps", error.ParamName);
    }
}

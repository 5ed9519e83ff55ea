using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Tests.Training;

/// <summary>
/// After an epoch the loop gives batch norms the statistics of the weights it ends with, averaged over training batches,
/// in place of running averages that trail them: checked against a float64 computation from the final weights, also
/// when a run ends with its weights averaged.
/// </summary>
[TestClass]
public class BatchNormStatisticsTests
{
    private static LabelledImages Data()
    {
        var ml = new MLContext(seed: 1);
        return LabelledImages.Read(DataViews.Prepare(ml, SyntheticImages.Vectors(16, 8, seed: 2)), new AgdImageShape(1, 8, 8));
    }

    // Images -> linear map -> batch norm without affine parameters, trained one epoch by AGD from seed 5's weights.
    private static (Linear Linear, BatchNorm1d Norm) TrainOneEpoch(IImageBatches data, int batchSize)
    {
        var linear = nn.Linear(64, 3);
        var norm = nn.BatchNorm1d(3, affine: false);
        var network = nn.Sequential(nn.Flatten(), linear, norm);
        AgdInitialization.Apply(network, new Generator(5));
        var loop = new TrainingLoop(network, new AgdOptimizer(network), AgdLoss.Square, batchSize, CPU, new Generator(6));
        loop.Run(data, null, 0, 1, _ => { }, CancellationToken.None);
        return (linear, norm);
    }

    // Every row's output of the linear map with its final weights, in float64.
    private static double[,] Outputs(IImageBatches data, Linear linear) => Outputs(data, linear.weight!.to(float64), linear.bias!.to(float64));

    private static double[,] Outputs(IImageBatches data, Tensor weight, Tensor bias)
    {
        Tensor? all = null;
        data.ForEachBatch(1000, null, CPU, (images, _) => all = images.reshape(images.shape[0], -1).to(float64).detach().clone().MoveToOuterDisposeScope());
        var y = all!.mm(weight.t()).add(bias);
        var result = new double[y.shape[0], y.shape[1]];
        var values = y.data<double>().ToArray();
        for (int i = 0; i < values.Length; i++)
            result[i / y.shape[1], i % y.shape[1]] = values[i];
        return result;
    }

    private static double[] Column(double[,] rows, int j) => Enumerable.Range(0, rows.GetLength(0)).Select(i => rows[i, j]).ToArray();

    [TestMethod]
    public void OneBatchGivesTheMeanAndUnbiasedVarianceOfTheFinalWeightsOutputs()
    {
        using var data = Data(); // 48 rows, one batch
        var (linear, norm) = TrainOneEpoch(data, batchSize: 48);
        var outputs = Outputs(data, linear);
        var mean = norm.running_mean!.to(float64).data<double>().ToArray();
        var variance = norm.running_var!.to(float64).data<double>().ToArray();
        for (int j = 0; j < 3; j++)
        {
            var column = Column(outputs, j);
            double m = column.Average();
            double v = column.Sum(x => (x - m) * (x - m)) / (column.Length - 1);
            // Running averages from (0, 1) with momentum 0.1 would read 0.1 m and 0.9 + 0.1 v (of the weights before the step).
            Assert.AreEqual(m, mean[j], 1e-5 * (1 + Math.Abs(m)), $"mean of output {j}");
            Assert.AreEqual(v, variance[j], 1e-5 * v, $"variance of output {j}");
        }
        Assert.AreEqual(0.1, norm.momentum, "training's momentum is put back");
    }

    [TestMethod]
    public void SeveralBatchesAverageToTheMeanOverEveryRow()
    {
        using var data = Data(); // 48 rows: 6 batches of 8, so the mean of batch means is the mean of all rows
        var (linear, norm) = TrainOneEpoch(data, batchSize: 8);
        var outputs = Outputs(data, linear);
        var mean = norm.running_mean!.to(float64).data<double>().ToArray();
        for (int j = 0; j < 3; j++)
            Assert.AreEqual(Column(outputs, j).Average(), mean[j], 1e-5, $"mean of output {j}");
        Assert.AreEqual(6L, norm.num_batches_tracked!.item<long>(), "every batch of the epoch counted once");
    }

    [TestMethod]
    public void AnAveragedRunGetsTheStatisticsOfItsAveragedWeightsNotOfItsLastStep()
    {
        using var data = Data(); // 48 rows: 6 batches of 8 an epoch, 30 steps in 5 epochs, the last 3 averaged
        var linear = nn.Linear(64, 3);
        var norm = nn.BatchNorm1d(3, affine: false);
        var network = nn.Sequential(nn.Flatten(), linear, norm);
        AgdInitialization.Apply(network, new Generator(5));
        var recorded = new RecordedSteps(network);
        var loop = new TrainingLoop(network, recorded.Optimizer, AgdLoss.Square, batchSize: 8, CPU, new Generator(6)) { AverageWeights = true };
        loop.Run(data, null, 0, 5, _ => { }, CancellationToken.None);

        var mean = norm.running_mean!.to(float64).data<double>().ToArray();
        var averaged = Outputs(data, linear);
        using var lastWeight = tensor(recorded.Steps[^1][0]).reshape(3, 64); // the linear map's parameters: weight, then bias
        using var lastBias = tensor(recorded.Steps[^1][1]);
        var last = Outputs(data, lastWeight, lastBias);
        for (int j = 0; j < 3; j++)
        {
            double expected = Column(averaged, j).Average(), lastStep = Column(last, j).Average();
            Assert.AreEqual(expected, mean[j], 1e-5 * (1 + Math.Abs(expected)), $"mean of output {j}, from the averaged weights");
            // The last step's weights give means 3e-4 to 4e-3 away: ten times the tolerance above tells them apart.
            Assert.IsTrue(Math.Abs(lastStep - mean[j]) > 1e-4, $"output {j}: the last step's mean {lastStep} is told apart from {mean[j]}");
        }
    }
}

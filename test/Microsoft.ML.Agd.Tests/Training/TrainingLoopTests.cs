using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Tests.Training;

/// <summary>
/// A model and its history hold whole epochs only: an epoch stopped part-way is undone. An averaged run ends with the
/// mean of its last tenth of steps, whether the data knows its rows or not.
/// </summary>
[TestClass]
public class TrainingLoopTests
{
    // Cancels the token once a number of batches has been handed out, counting across epochs.
    private sealed class CancelAfter(IImageBatches inner, int batches, CancellationTokenSource cancel) : IImageBatches
    {
        private int _given;
        public double[] Mean => inner.Mean;
        public double[] StandardDeviation => inner.StandardDeviation;
        public long[] Classes => inner.Classes;
        public void Dispose() => inner.Dispose();

        public void ForEachBatch(int batchSize, Generator? shuffle, Device device, Action<Tensor, Tensor> body, CancellationToken cancellation = default)
            => inner.ForEachBatch(batchSize, shuffle, device, (images, labels) =>
            {
                body(images, labels);
                if (++_given == batches)
                    cancel.Cancel();
            }, cancellation);
    }

    // The same rows, without a row count: as streamed data is read.
    private sealed class Unsized(IImageBatches inner) : IImageBatches
    {
        public double[] Mean => inner.Mean;
        public double[] StandardDeviation => inner.StandardDeviation;
        public long[] Classes => inner.Classes;
        public void Dispose() => inner.Dispose();

        public void ForEachBatch(int batchSize, Generator? shuffle, Device device, Action<Tensor, Tensor> body, CancellationToken cancellation = default)
            => inner.ForEachBatch(batchSize, shuffle, device, body, cancellation);
    }

    private static LabelledImages Data()
    {
        var ml = new MLContext(seed: 1);
        return LabelledImages.Read(DataViews.Prepare(ml, SyntheticImages.Vectors(16, 8, seed: 2)), new AgdImageShape(1, 8, 8));
    }

    // An FCN with AGD's initial weights for seed 5, trained by the loop with batch order from seed 6.
    private static (Fcn Network, TrainingRun Run) Train(IImageBatches data, int epochs, CancellationToken cancellation)
    {
        var network = new Fcn(64, 32, 3, 3);
        var optimizer = new AgdOptimizer(network);
        AgdInitialization.Apply(network, new Generator(5));
        var loop = new TrainingLoop(network, optimizer, AgdLoss.Square, batchSize: 8, CPU, new Generator(6));
        return (network, loop.Run(data, null, 0, epochs, _ => { }, cancellation));
    }

    private static (Fcn Network, RecordedSteps Steps, TrainingRun Run) TrainAveraged(IImageBatches data, int epochs, int batchSize = 8)
    {
        var network = new Fcn(64, 32, 3, 3);
        var optimizer = new RecordedSteps(network);
        AgdInitialization.Apply(network, new Generator(5));
        var loop = new TrainingLoop(network, optimizer.Optimizer, AgdLoss.Square, batchSize, CPU, new Generator(6)) { AverageWeights = true };
        return (network, optimizer, loop.Run(data, data, 0, epochs, _ => { }, CancellationToken.None));
    }

    private static float[][] Weights(nn.Module network) => network.parameters().Select(p => p.data<float>().ToArray()).ToArray();

    [TestMethod]
    public void AnEpochStoppedPartWayIsUndoneAndNotRecorded()
    {
        using var data = Data(); // 48 rows: 6 batches an epoch
        var (whole, wholeRun) = Train(data, 2, CancellationToken.None);
        Assert.IsFalse(wholeRun.Cancelled);
        using var cancel = new CancellationTokenSource();
        var (stopped, stoppedRun) = Train(new CancelAfter(data, 6 + 2, cancel), 3, cancel.Token); // two batches into epoch 2

        Assert.IsTrue(stoppedRun.Cancelled);
        CollectionAssert.AreEqual(new[] { 1 }, stoppedRun.History.Select(e => e.Epoch).ToArray(), "only the whole epoch is in the history");
        Assert.AreEqual(wholeRun.History[0].TrainLoss, stoppedRun.History[0].TrainLoss);
        // The weights are epoch 1's: the same as a run that trains exactly one epoch from the same start and order.
        var (one, _) = Train(data, 1, CancellationToken.None);
        var expected = Weights(one);
        var actual = Weights(stopped);
        for (int i = 0; i < expected.Length; i++)
            CollectionAssert.AreEqual(expected[i], actual[i], $"parameter {i}");
        CollectionAssert.AreNotEqual(Weights(whole)[0], actual[0], "a second epoch would have moved them");
    }

    [TestMethod]
    public void StoppedInTheFirstEpochTheNetworkKeepsItsInitialWeights()
    {
        using var data = Data();
        using var cancel = new CancellationTokenSource();
        var initial = Weights(Train(data, 0, CancellationToken.None).Network);
        var (stopped, run) = Train(new CancelAfter(data, 3, cancel), 2, cancel.Token);
        Assert.IsTrue(run.Cancelled);
        Assert.AreEqual(0, run.History.Count);
        var actual = Weights(stopped);
        for (int i = 0; i < initial.Length; i++)
            CollectionAssert.AreEqual(initial[i], actual[i], $"parameter {i}");
    }

    [TestMethod]
    public void AStopThatKeepsItsPassEndsTheRunThereWithThePassRecorded()
    {
        using var data = Data(); // 6 batches an epoch
        var network = new Fcn(64, 32, 3, 3);
        var recorded = new RecordedSteps(network);
        AgdInitialization.Apply(network, new Generator(5));
        using var cancel = new CancellationTokenSource();
        var loop = new TrainingLoop(network, recorded.Optimizer, AgdLoss.Square, batchSize: 8, CPU, new Generator(6)) { KeepStoppedPass = true };
        var run = loop.Run(new CancelAfter(data, 6 + 2, cancel), null, 0, 3, _ => { }, cancel.Token); // two batches into epoch 2

        Assert.IsTrue(run.Cancelled);
        CollectionAssert.AreEqual(new[] { 1, 2 }, run.History.Select(e => e.Epoch).ToArray(), "the stopped pass is the run's last");
        Assert.AreEqual(8, recorded.Steps.Count);
        var actual = Weights(network);
        for (int i = 0; i < actual.Length; i++)
            CollectionAssert.AreEqual(recorded.Steps[7][i], actual[i].Select(v => (double)v).ToArray(), $"parameter {i}: the eighth step's weights, kept");
    }

    [TestMethod]
    [DataRow(false, 2)]
    [DataRow(true, 1)]
    public void OnlyANetworkWithBatchNormsSkipsABatchOfOneRow(bool batchNorm, int stepsPerEpoch)
    {
        using var data = Data(); // 48 rows: batches of 47 and 1
        var network = batchNorm
            ? nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 3))
            : nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 3));
        var recorded = new RecordedSteps(network);
        var loop = new TrainingLoop(network, recorded.Optimizer, AgdLoss.Square, batchSize: 47, CPU, new Generator(6));
        var run = loop.Run(data, null, 0, 2, _ => { }, CancellationToken.None);
        Assert.AreEqual(2 * stepsPerEpoch, recorded.Steps.Count);
        Assert.AreEqual(2, run.History.Count);
    }

    [TestMethod]
    public void AnAveragedRunEndsWithTheMeanOfItsLastTenthOfSteps()
    {
        using var data = Data(); // 48 rows: 6 steps an epoch, 30 in 5 epochs, the last tenth the last 3
        var (network, recorded, run) = TrainAveraged(data, 5);

        Assert.AreEqual(30, recorded.Steps.Count);
        var actual = Weights(network);
        var last = recorded.Steps[^1];
        for (int i = 0; i < actual.Length; i++)
            for (int j = 0; j < actual[i].Length; j++)
            {
                double mean = (recorded.Steps[27][i][j] + recorded.Steps[28][i][j] + recorded.Steps[29][i][j]) / 3;
                Assert.AreEqual(mean, actual[i][j], 1e-6 * Math.Max(1, Math.Abs(mean)), $"parameter {i}[{j}]");
            }
        Assert.IsTrue(actual[0].Select((v, j) => Math.Abs(v - last[0][j])).Max() > 1e-4, "the mean differs from the last step's weights");
        // The last epoch is measured with the averaged weights, which the network keeps.
        var loop = new TrainingLoop(network, recorded.Optimizer, AgdLoss.Square, batchSize: 8, CPU, new Generator(6));
        Assert.AreEqual(loop.Evaluate(data).Loss, run.History[^1].ValidationLoss!.Value, 1e-12);
    }

    [TestMethod]
    public void DataWithoutARowCountIsAveragedFromItsFirstEpochsLengthOrNotAtAllInOneEpoch()
    {
        using var data = Data();
        var (sized, _, _) = TrainAveraged(data, 3);
        var (unsized, _, _) = TrainAveraged(new Unsized(data), 3);
        var expected = Weights(sized);
        var actual = Weights(unsized);
        for (int i = 0; i < expected.Length; i++)
            CollectionAssert.AreEqual(expected[i], actual[i], $"three epochs, parameter {i}");

        // One epoch of data of unknown length: the run cannot know where its last tenth starts, so it keeps its last weights.
        // (Batches of 2: 24 steps, the last tenth 3 of them.)
        var (once, recorded, _) = TrainAveraged(new Unsized(data), 1, batchSize: 2);
        var last = recorded.Steps[^1];
        var kept = Weights(once);
        for (int i = 0; i < kept.Length; i++)
            CollectionAssert.AreEqual(last[i].Select(v => (float)v).ToArray(), kept[i], $"one epoch, parameter {i}");
        var (averagedOnce, _, _) = TrainAveraged(data, 1, batchSize: 2);
        CollectionAssert.AreNotEqual(kept[0], Weights(averagedOnce)[0], "one epoch of data that knows its rows is averaged");
    }

    // An FCN that writes down the rows of every batch it sees in training.
    private sealed class CountingRows : nn.Module<Tensor, Tensor>
    {
        private readonly Fcn _inner = new(64, 32, 3, 3);

        public CountingRows() : base(nameof(CountingRows)) => RegisterComponents();

        public List<long> Rows { get; } = [];

        public override Tensor forward(Tensor input)
        {
            if (training)
                Rows.Add(input.shape[0]);
            return _inner.call(input);
        }
    }

    [TestMethod]
    public void AnAutomaticBatchTrainsOnEveryRowInEqualHalvesAndSaysWhatItChose()
    {
        var ml = new MLContext(seed: 1);
        using var data = LabelledImages.Read(DataViews.Prepare(ml, SyntheticImages.Vectors(120, 8, seed: 2)), new AgdImageShape(1, 8, 8)); // 360 rows
        var network = new CountingRows();
        AgdInitialization.Apply(network, new Generator(5));
        using var optimizer = new AgdOptimizer(network);
        var loop = new TrainingLoop(network, optimizer, AgdLoss.Square, batchSize: null, CPU, new Generator(6));
        var run = loop.Run(data, data, 0, 4, _ => { }, CancellationToken.None);

        // Each step's gradient comes from two halves of equal size (16 and 16 for a batch of 32), and every epoch sees every row once.
        var halves = network.Rows.Chunk(2).ToList();
        Assert.IsTrue(halves.All(h => h.Length == 2 && Math.Abs(h[0] - h[1]) <= 1), string.Join(" ", network.Rows));
        Assert.AreEqual(4 * 360, network.Rows.Sum());
        // The batch starts at 32, grows by doubling up to a tenth of the rows (36: so 32 here), and each epoch says it.
        CollectionAssert.AreEqual(new[] { 32, 32, 32, 32 }, run.History.Select(e => e.BatchSize).ToArray());
        Assert.IsTrue(run.History.All(e => e.NoiseScale is > 0), string.Join(", ", run.History.Select(e => e.NoiseScale)));
        Assert.IsTrue(halves.All(h => h.Sum() <= 32));
    }

    [TestMethod]
    public void ABatchThatGrowsPartWayThroughAnEpochIsMadeOfTheBatchesItReads()
    {
        using var scope = NewDisposeScope();
        using var pending = new PendingRows();
        pending.Add(tensor(new float[] { 1, 2 }).reshape(2, 1), tensor(new long[] { 0, 1 }));
        pending.Add(tensor(new float[] { 3 }).reshape(1, 1), tensor(new long[] { 2 }));
        Assert.AreEqual(3, pending.Rows);
        float[]? images = null;
        long[]? labels = null;
        pending.Take((i, l) => (images, labels) = (i.data<float>().ToArray(), l.data<long>().ToArray()));
        CollectionAssert.AreEqual(new[] { 1f, 2f, 3f }, images);
        CollectionAssert.AreEqual(new[] { 0L, 1L, 2L }, labels);
        Assert.AreEqual(0, pending.Rows);
        pending.Take((_, _) => Assert.Fail("nothing waits"));
    }

    [TestMethod]
    public void AFixedBatchKeepsItsSizeAndOnlyAgdMeasuresTheNoise()
    {
        using var data = Data();
        var (_, agd) = Train(data, 1, CancellationToken.None);
        Assert.AreEqual(8, agd.History[0].BatchSize);
        Assert.IsNotNull(agd.History[0].NoiseScale, "AGD's step counts the gradient's signal only, so the noise is measured");
        var (_, _, other) = TrainAveraged(data, 1); // another optimizer (AGD's step behind a plain one) is not measured
        Assert.AreEqual(8, other.History[0].BatchSize);
        Assert.IsNull(other.History[0].NoiseScale);
    }
}

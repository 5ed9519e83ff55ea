using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Tests.Training;

/// <summary>A model and its history hold whole epochs only: an epoch stopped part-way is undone.</summary>
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
}

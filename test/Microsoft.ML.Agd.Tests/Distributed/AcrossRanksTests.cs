namespace Microsoft.ML.Agd.Tests.Distributed;

/// <summary>Training across ranks (threads here, MPI's processes in a job) gives the model one process would train.</summary>
[TestClass]
[DoNotParallelize] // the ranks' threads would otherwise share two cores with other tests' training
public class AcrossRanksTests
{
    private static (AgdModel Model, float[] Weights) Train(AgdCommunicator? ranks, int epochs, int? batchSize = 16, CancellationToken stop = default, Action<AgdEpoch>? onEpoch = null,
        int seed = 3, AgdArchitecture architecture = AgdArchitecture.Fcn, int perClass = 54, bool shuffledLabels = false)
    {
        var ml = new MLContext(seed: 1);
        var rows = SyntheticImages.Vectors(perClass, 8, seed: 2);
        if (shuffledLabels) // labels drawn apart from the images: a gradient is then mostly noise
        {
            var labelOrder = new Random(4);
            var labels = rows.Select(r => r.Label).OrderBy(_ => labelOrder.Next()).ToList();
            rows = rows.Select((r, i) => new SyntheticImages.VectorRow { Features = r.Features, Label = labels[i] }).ToList();
        }
        var data = DataViews.Prepare(ml, rows);
        var options = new AgdImageClassificationTrainer.Options
        {
            Architecture = architecture, BaseWidth = 2, ImageShape = new AgdImageShape(1, 8, 8), Depth = 3, Width = 32, NumberOfEpochs = epochs, BatchSize = batchSize, Seed = seed,
            Communicator = ranks, CancellationToken = stop, Progress = onEpoch is null ? null : new SynchronousProgress<AgdEpoch>(onEpoch),
        };
        var model = ml.MulticlassClassification.Trainers.Agd(options).Fit(data).Model;
        return (model, WeightsAssert.Of(model.Network));
    }

    [TestMethod]
    [DataRow(2)]
    [DataRow(3)]
    public void RanksTrainTheModelOneProcessTrainsWithTheirWholeBatch(int size)
    {
        // 162 rows in batches of 16: 22 steps over two epochs, the last batch of each epoch 2 rows (too few to share: every
        // rank takes it whole), each step's gradient measured by halves (the noise scale) as one process measures it.
        var (alone, weights) = Train(null, epochs: 2);
        var ranks = ThreadRanks.Run(size, r => Train(r, epochs: 2));
        foreach (var (model, rankWeights) in ranks)
        {
            CollectionAssert.AreEqual(ranks[0].Weights, rankWeights, "Every rank ends with the same weights.");
            Assert.AreEqual(alone.History.Count, model.History.Count);
            for (int e = 0; e < alone.History.Count; e++)
            {
                Assert.AreEqual(alone.History[e].TrainLoss, model.History[e].TrainLoss, 1e-4, $"epoch {e + 1}'s loss");
                Assert.AreEqual(alone.History[e].TrainAccuracy, model.History[e].TrainAccuracy, 1e-9, $"epoch {e + 1}'s accuracy");
                Assert.AreEqual(alone.History[e].NoiseScale!.Value, model.History[e].NoiseScale!.Value, 1e-3 * alone.History[e].NoiseScale!.Value);
            }
        }
        WeightsAssert.Close(weights, ranks[0].Weights, "The ranks'");
    }

    [TestMethod]
    public void RanksGrowAnAutomaticBatchTogether()
    {
        // 720 rows whose labels say nothing of the images (a noise scale far above 64): the batch grows from 32 to 64 (a
        // tenth of the rows caps it) once it has measured 25 steps, in the second epoch. The ranks decide on the same steps with their mean step
        // time (an exchange each rank must make at the same point), so they take the same steps throughout.
        var ranks = ThreadRanks.Run(2, r => Train(r, epochs: 3, batchSize: null, perClass: 240, shuffledLabels: true));
        CollectionAssert.AreEqual(new[] { 32, 64, 64 }, ranks[0].Model.History.Select(e => e.BatchSize).ToArray(), "grown in the second epoch (the first has 22 steps)");
        CollectionAssert.AreEqual(ranks[0].Model.History.Select(e => e.BatchSize).ToArray(), ranks[1].Model.History.Select(e => e.BatchSize).ToArray());
        CollectionAssert.AreEqual(ranks[0].Weights, ranks[1].Weights, "Every rank ends with the same weights.");
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(3)]
    public void RanksTrainAResNetAsOneProcessWithTheirBatchNormsOverTheWholeBatch(int size)
    {
        // 1,344 rows in batches of 64: 21 steps. Each half-batch's batch norms take the statistics of every rank's rows (one
        // rank's run goes through the same synchronized batch norm). Halves of 32 rows: at 8 (batch 16) this tiny network's
        // steps on its normalised layers amplify a difference in rounding about tenfold a step after the eighth, so no two
        // float32 computations of its 21st step agree (docs/research/large-batches.md, section 13).
        var (alone, weights) = Train(null, epochs: 1, batchSize: 64, architecture: AgdArchitecture.ResNet18, perClass: 448);
        var ranks = ThreadRanks.Run(size, r => Train(r, epochs: 1, batchSize: 64, architecture: AgdArchitecture.ResNet18, perClass: 448));
        CollectionAssert.AreEqual(ranks[0].Weights, ranks[^1].Weights, "Every rank ends with the same weights.");
        for (int e = 0; e < alone.History.Count; e++)
            Assert.AreEqual(alone.History[e].TrainLoss, ranks[0].Model.History[e].TrainLoss, 1e-4, $"epoch {e + 1}'s loss");
        WeightsAssert.Close(weights, ranks[0].Weights, "The ranks'");
    }

    [TestMethod]
    public void AStopAskedOfOneRankStopsEveryRankAfterTheSameStep()
    {
        // Rank 1 alone is asked to stop as its first epoch ends; the second epoch's first step tells every rank, which
        // all undo that epoch and return the first.
        using var stop = new CancellationTokenSource();
        var ranks = ThreadRanks.Run(2, r => Train(r, epochs: 3, stop: r.Rank == 1 ? stop.Token : default, onEpoch: r.Rank == 1 ? _ => stop.Cancel() : null));
        Assert.AreEqual(1, ranks[0].Model.History.Count);
        Assert.AreEqual(1, ranks[1].Model.History.Count);
        CollectionAssert.AreEqual(ranks[0].Weights, ranks[1].Weights);
        var (oneEpoch, weights) = Train(null, epochs: 1);
        Assert.AreEqual(oneEpoch.History[0].TrainLoss, ranks[0].Model.History[0].TrainLoss, 1e-4);
    }

    [TestMethod]
    public void RanksThatWouldTrainDifferentRunsAreNamedBeforeTraining()
    {
        // Another seed on rank 1 draws other first weights; another batch size, other steps. Every rank says the same.
        foreach (var (what, rank) in new (string, Func<AgdCommunicator, object>)[]
        {
            ("a checksum of its first weights", r => Train(r, epochs: 1, seed: r.Rank == 1 ? 4 : 3)),
            ("a batch size (0: automatic) of 8, rank 0 16", r => Train(r, epochs: 1, batchSize: r.Rank == 1 ? 8 : 16)),
        })
        {
            var errors = ThreadRanks.Run(2, r =>
            {
                try
                {
                    rank(r);
                    return "trained";
                }
                catch (InvalidOperationException e)
                {
                    return e.Message;
                }
            });
            foreach (string error in errors)
            {
                StringAssert.StartsWith(error, "Rank 1 has " + what);
                StringAssert.EndsWith(error, "every rank must train the same network on the same data with the same options (the same command, data folder and seed).");
            }
        }
    }
}

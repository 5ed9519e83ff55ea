namespace Microsoft.ML.Agd.Tests.Trainer;

[TestClass]
public class EndToEndTests
{
    [TestMethod]
    [DataRow(AgdArchitecture.Fcn)]
    [DataRow(AgdArchitecture.ResNet18)]
    public void ImagePipelineTrainsEvaluatesSavesLoadsAndPredictsTheSame(AgdArchitecture architecture)
    {
        string folder = Directory.CreateTempSubdirectory("agd-images").FullName;
        try
        {
            var ml = new MLContext(seed: 1);
            var rows = SyntheticImages.WritePngs(folder, perClass: 40, size: 16, seed: 2);
            var data = ml.Data.LoadFromEnumerable(rows);
            var split = ml.Data.TrainTestSplit(data, testFraction: 0.25, seed: 3);
            var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
                .Append(ml.Transforms.LoadImages("Image", folder, nameof(SyntheticImages.PathRow.ImagePath)))
                .Append(ml.Transforms.ResizeImages("Image", 12, 12))
                .Append(ml.Transforms.ExtractPixels("Features", "Image", scaleImage: 1f / 255))
                .Append(ml.MulticlassClassification.Trainers.Agd(new AgdImageClassificationTrainer.Options
                {
                    Architecture = architecture, BaseWidth = 4, Width = 64, NumberOfEpochs = 12, BatchSize = 16,
                }))
                .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

            var model = pipeline.Fit(split.TrainSet);
            var scored = model.Transform(split.TestSet);
            var metrics = ml.MulticlassClassification.Evaluate(scored);
            Assert.IsTrue(metrics.MacroAccuracy > 0.8, $"macro accuracy {metrics.MacroAccuracy} (chance is 1/3)");

            var agd = model.OfType<AgdImageClassificationTransformer>().Single().Model;
            Assert.AreEqual(12, agd.History.Count);
            CollectionAssert.AreEquivalent(SyntheticImages.Classes, agd.ClassNames.ToArray());
            Assert.AreEqual(new AgdImageShape(3, 12, 12), agd.ImageShape);

            string path = Path.Combine(folder, "model.zip");
            ml.Model.Save(model, data.Schema, path);
            var fresh = new MLContext();
            var loaded = fresh.Model.Load(path, out var inputSchema);
            Assert.AreEqual(data.Schema.Count, inputSchema.Count);

            var before = ml.Data.CreateEnumerable<PredictedRow>(scored, reuseRowObject: false).ToList();
            var after = fresh.Data.CreateEnumerable<PredictedRow>(loaded.Transform(split.TestSet), reuseRowObject: false).ToList();
            Assert.AreEqual(before.Count, after.Count);
            for (int i = 0; i < before.Count; i++)
            {
                Assert.AreEqual(before[i].PredictedLabel, after[i].PredictedLabel);
                Assert.AreEqual(SyntheticImages.Classes.Length, after[i].Score.Length);
                for (int k = 0; k < before[i].Score.Length; k++)
                    Assert.AreEqual(before[i].Score[k], after[i].Score[k], 1e-5);
                Assert.AreEqual(1.0, after[i].Score.Sum(), 1e-4, "Scores are probabilities.");
            }

            // A prediction engine gives a row what the batch transform gives it.
            var engine = fresh.Model.CreatePredictionEngine<SyntheticImages.PathRow, PredictedRow>(loaded);
            var single = engine.Predict(rows[0]);
            var batch = fresh.Data.CreateEnumerable<PredictedRow>(loaded.Transform(fresh.Data.LoadFromEnumerable(new[] { rows[0] })), reuseRowObject: false).Single();
            Assert.AreEqual(batch.PredictedLabel, single.PredictedLabel);
            CollectionAssert.AreEqual(batch.Score, single.Score);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void SameSeedAndDataGiveIdenticalPredictions()
    {
        float[][] Run()
        {
            var ml = new MLContext(seed: 5);
            var data = DataViews.Prepare(ml, SyntheticImages.Vectors(20, 8, seed: 6));
            var model = ml.MulticlassClassification.Trainers.Agd(numberOfEpochs: 3, batchSize: 8).Fit(data);
            return ml.Data.CreateEnumerable<ScoredRow>(model.Transform(data), false).Select(p => p.Score).ToArray();
        }
        var first = Run();
        var second = Run();
        for (int i = 0; i < first.Length; i++)
            CollectionAssert.AreEqual(first[i], second[i], $"row {i}");
    }

    [TestMethod]
    public void TrainingInsideACallersNoGradScopeIsTheSameAsOutsideIt()
    {
        float[][] Run(bool insideNoGrad)
        {
            var ml = new MLContext(seed: 5);
            var data = DataViews.Prepare(ml, SyntheticImages.Vectors(20, 8, seed: 6));
            using var noGrad = insideNoGrad ? TorchSharp.torch.no_grad() : null;
            var model = ml.MulticlassClassification.Trainers.Agd(numberOfEpochs: 3, batchSize: 8).Fit(data);
            Assert.AreEqual(insideNoGrad, !TorchSharp.torch.is_grad_enabled(), "the caller's setting is restored");
            return ml.Data.CreateEnumerable<ScoredRow>(model.Transform(data), false).Select(p => p.Score).ToArray();
        }
        var outside = Run(insideNoGrad: false);
        var inside = Run(insideNoGrad: true);
        for (int i = 0; i < outside.Length; i++)
            CollectionAssert.AreEqual(outside[i], inside[i], $"row {i}");
    }

    [TestMethod]
    public void ValidationDataIsMeasuredEveryEpochAndReported()
    {
        var ml = new MLContext(seed: 7);
        var train = DataViews.Prepare(ml, SyntheticImages.Vectors(20, 8, seed: 8));
        var validation = DataViews.Prepare(ml, SyntheticImages.Vectors(10, 8, seed: 9));
        var reported = new List<AgdEpoch>();
        var trainer = ml.MulticlassClassification.Trainers.Agd(new AgdImageClassificationTrainer.Options
        {
            NumberOfEpochs = 4, BatchSize = 10, Progress = new SynchronousProgress<AgdEpoch>(reported.Add),
        });
        var history = trainer.Fit(train, validation).Model.History;
        Assert.AreEqual(4, history.Count);
        CollectionAssert.AreEqual(history.ToList(), reported);
        Assert.IsTrue(history.All(e => e.ValidationAccuracy is >= 0 and <= 1 && e.ValidationLoss > 0 && e.MeanEta > 0 && e.Seconds > 0));
        Assert.IsTrue(history[^1].TrainLoss < history[0].TrainLoss);
        Assert.IsTrue(history.All(e => e.BatchSize == 10), "the batch that was set");
    }

    [TestMethod]
    public void WithNoBatchSizeTheBatchIsAutomaticAndEachEpochSaysWhatItChose()
    {
        var ml = new MLContext(seed: 7);
        var train = DataViews.Prepare(ml, SyntheticImages.Vectors(100, 8, seed: 8)); // 300 rows: a tenth of them caps the batch at its start, 32
        var history = ml.MulticlassClassification.Trainers.Agd(numberOfEpochs: 3).Fit(train).Model.History;
        CollectionAssert.AreEqual(new[] { 32, 32, 32 }, history.Select(e => e.BatchSize).ToArray());
        Assert.IsTrue(history.All(e => e.NoiseScale > 0), string.Join(", ", history.Select(e => e.NoiseScale)));
        StringAssert.Contains(history[0].ToString(), "batch 32");
    }

    private static TorchSharp.torch.optim.Optimizer Sgd(TorchSharp.torch.nn.Module network) => TorchSharp.torch.optim.SGD(network.parameters(), 0.02);

    [TestMethod]
    public void KeepBestEpochReturnsTheWeightsOfTheBestValidationEpoch()
    {
        var ml = new MLContext(seed: 20);
        var rows = SyntheticImages.Vectors(20, 8, seed: 21);
        var train = DataViews.Prepare(ml, rows);
        // The validation labels are the training labels shifted by one class: learning the task makes them worse, so the
        // best validation epoch comes before the last. AGD learns these 20 rows in one epoch; SGD at a small rate spreads the
        // learning over several (KeepBestEpoch keeps the best epoch whatever the optimizer).
        var shifted = rows.Select(r => new SyntheticImages.VectorRow
        {
            Features = r.Features, Label = SyntheticImages.Classes[(Array.IndexOf(SyntheticImages.Classes, r.Label) + 1) % SyntheticImages.Classes.Length],
        });
        var validation = DataViews.Prepare(ml, shifted);
        var trainer = ml.MulticlassClassification.Trainers.Agd(new AgdImageClassificationTrainer.Options { NumberOfEpochs = 6, BatchSize = 10, KeepBestEpoch = true, OptimizerInsteadOfAgd = Sgd });
        var model = trainer.Fit(train, validation);

        var history = model.Model.History;
        var accuracies = history.Select(e => e.ValidationAccuracy!.Value).ToList();
        Assert.AreEqual(6, history.Count);
        Assert.AreEqual(accuracies.IndexOf(accuracies.Max()) + 1, model.Model.Epoch, "the first epoch with the highest validation accuracy");
        Assert.IsTrue(accuracies[model.Model.Epoch - 1] > accuracies[^1], $"the test needs a best epoch better than the last: {string.Join(", ", accuracies)}");
        var measured = ml.MulticlassClassification.Evaluate(model.Transform(validation)).MicroAccuracy;
        Assert.AreEqual(accuracies[model.Model.Epoch - 1], measured, 1e-9, "the returned network is the best epoch's, not the last one's");

        var last = ml.MulticlassClassification.Trainers.Agd(new AgdImageClassificationTrainer.Options { NumberOfEpochs = 6, BatchSize = 10, OptimizerInsteadOfAgd = Sgd }).Fit(train, validation);
        Assert.AreEqual(6, last.Model.Epoch);
        Assert.AreEqual(accuracies[^1], ml.MulticlassClassification.Evaluate(last.Transform(validation)).MicroAccuracy, 1e-9, "without KeepBestEpoch the last epoch's network");
    }

    [TestMethod]
    public void TrainingContinuesFromAnEarlierModelWithoutChangingIt()
    {
        var ml = new MLContext(seed: 22);
        var data = DataViews.Prepare(ml, SyntheticImages.Vectors(20, 8, seed: 23));
        AgdImageClassificationTrainer Trainer(int epochs, int width = 64) => ml.MulticlassClassification.Trainers.Agd(
            new AgdImageClassificationTrainer.Options { NumberOfEpochs = epochs, BatchSize = 10, Width = width });
        var first = Trainer(2).Fit(data);
        var weightsBefore = first.Model.Network.parameters().Select(p => p.data<float>().ToArray()).ToList();

        var continued = Trainer(3).Fit(data, null, first.Model);

        var history = continued.Model.History;
        CollectionAssert.AreEqual(new[] { 1, 2, 3, 4, 5 }, history.Select(e => e.Epoch).ToArray());
        CollectionAssert.AreEqual(first.Model.History.ToList(), history.Take(2).ToList());
        Assert.AreEqual(5, continued.Model.Epoch);
        Assert.IsTrue(history[2].TrainLoss < history[0].TrainLoss, "epoch 3 starts from epoch 2's weights, not from a new initialisation");
        var weightsAfter = first.Model.Network.parameters().Select(p => p.data<float>().ToArray()).ToList();
        for (int i = 0; i < weightsBefore.Count; i++)
            CollectionAssert.AreEqual(weightsBefore[i], weightsAfter[i], $"parameter {i} of the initial model changed");

        var e = Assert.ThrowsExactly<ArgumentException>(() => Trainer(1, width: 32).Fit(data, null, first.Model));
        Assert.AreEqual("initialModel", e.ParamName);
        StringAssert.Contains(e.Message, "shape [32, 64] expected, [64, 64]");
    }

    [TestMethod]
    public void CancellationStopsTrainingPromptlyAndKeepsTheModel()
    {
        var ml = new MLContext(seed: 10);
        var data = DataViews.Prepare(ml, SyntheticImages.Vectors(20, 8, seed: 11));
        using var cancel = new CancellationTokenSource();
        var trainer = ml.MulticlassClassification.Trainers.Agd(new AgdImageClassificationTrainer.Options
        {
            NumberOfEpochs = 1000, BatchSize = 10, CancellationToken = cancel.Token,
            Progress = new SynchronousProgress<AgdEpoch>(e => { if (e.Epoch == 2) cancel.Cancel(); }),
        });
        var model = trainer.Fit(data).Model;
        Assert.IsTrue(model.Cancelled);
        Assert.AreEqual(2, model.History.Count);
    }

}

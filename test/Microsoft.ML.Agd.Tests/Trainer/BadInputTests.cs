using Microsoft.ML.Data;

namespace Microsoft.ML.Agd.Tests.Trainer;

[TestClass]
public class BadInputTests
{
    private readonly MLContext _ml = new(seed: 1);

    private sealed class FloatRow
    {
        public float Features { get; set; }
        public string Label { get; set; } = "";
    }

    private IDataView Good(int perClass = 5, int size = 4) => DataViews.Prepare(_ml, SyntheticImages.Vectors(perClass, size, seed: 1));

    private AgdImageClassificationTrainer Trainer(AgdArchitecture architecture = AgdArchitecture.Fcn, AgdImageShape? shape = null)
        => _ml.MulticlassClassification.Trainers.Agd(new AgdImageClassificationTrainer.Options
        {
            Architecture = architecture, ImageShape = shape, NumberOfEpochs = 2, BatchSize = 4, Width = 8, BaseWidth = 2,
        });

    [TestMethod]
    public void MissingColumnIsNamed()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => _ml.MulticlassClassification.Trainers.Agd(featureColumnName: "Pixels").Fit(Good()));
        StringAssert.Contains(e.Message, "no feature column 'Pixels'");
        StringAssert.Contains(e.Message, "'Features'");
    }

    [TestMethod]
    public void LabelThatIsNotAKeySaysToMapValueToKey()
    {
        var rows = SyntheticImages.Vectors(3, 4, seed: 2);
        var definition = SchemaDefinition.Create(typeof(SyntheticImages.VectorRow));
        definition["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 16);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Trainer().Fit(_ml.Data.LoadFromEnumerable(rows, definition)));
        StringAssert.Contains(e.Message, "Label column 'Label' must be a key type");
        StringAssert.Contains(e.Message, "MapValueToKey");
    }

    [TestMethod]
    public void FeaturesThatAreNotAVectorOfFloatAreRejected()
    {
        var data = _ml.Data.LoadFromEnumerable(new[] { new FloatRow { Features = 1, Label = "a" }, new FloatRow { Features = 2, Label = "b" } });
        data = _ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Trainer().Fit(data));
        StringAssert.Contains(e.Message, "Feature column 'Features' must be a known-size vector of Single");
        StringAssert.Contains(e.Message, "Single");
    }

    [TestMethod]
    public void VectorSizeThatDoesNotMatchTheImageShapeIsReported()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Trainer(AgdArchitecture.ResNet18, new AgdImageShape(3, 4, 4)).Fit(Good()));
        StringAssert.Contains(e.Message, "has 16 values per row, but the image shape 3x4x4 needs 48");
    }

    [TestMethod]
    public void KeepBestEpochWithoutValidationDataAsksForIt()
    {
        var trainer = _ml.MulticlassClassification.Trainers.Agd(new AgdImageClassificationTrainer.Options { KeepBestEpoch = true });
        var e = Assert.ThrowsExactly<ArgumentNullException>(() => trainer.Fit(Good()));
        Assert.AreEqual("validationData", e.ParamName);
        StringAssert.Contains(e.Message, "KeepBestEpoch picks the epoch with the best validation accuracy");
        StringAssert.Contains(e.Message, "Fit(trainData, validationData)");
    }

    [TestMethod]
    public void ResNetWithoutAnImageShapeAsksForOne()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => Trainer(AgdArchitecture.ResNet18).Fit(Good()));
        StringAssert.Contains(e.Message, "Options.ImageShape");
    }

    [TestMethod]
    public void EmptyDataIsReported()
    {
        var empty = _ml.Data.SkipRows(Good(), 1000);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => Trainer().Fit(empty));
        StringAssert.Contains(e.Message, "training data has no rows with a label in column 'Label'");
    }

    [TestMethod]
    public void SingleClassIsReported()
    {
        var rows = SyntheticImages.Vectors(4, 4, seed: 3).Where(r => r.Label == SyntheticImages.Classes[0]);
        var oneKey = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Trainer().Fit(DataViews.Prepare(_ml, rows)));
        StringAssert.Contains(oneKey.Message, "has 1 class");

        // Three classes in the key type, but only one of them in the rows.
        var all = SyntheticImages.Vectors(3, 4, seed: 6);
        var keys = _ml.Transforms.Conversion.MapValueToKey("Label").Fit(DataViews.Load(_ml, all));
        var onlyFirst = keys.Transform(DataViews.Load(_ml, all.Where(r => r.Label == all[0].Label)));
        var oneSeen = Assert.ThrowsExactly<InvalidOperationException>(() => Trainer().Fit(onlyFirst));
        StringAssert.Contains(oneSeen.Message, "same class");
    }

    [TestMethod]
    [DataRow(float.NaN)]
    [DataRow(float.PositiveInfinity)]
    public void NonFiniteFeaturesAreReportedWithTheirRow(float bad)
    {
        var rows = SyntheticImages.Vectors(3, 4, seed: 4);
        rows[5].Features[7] = bad;
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => Trainer().Fit(DataViews.Prepare(_ml, rows)));
        StringAssert.Contains(e.Message, $"Column 'Features' of the training data holds {bad} in row 5 (value 7)");
    }

    [TestMethod]
    public void DivergenceStopsWithAClearErrorAndNoModel()
    {
        // A step that multiplies every weight by 1e20: the outputs, then the square loss, overflow float32.
        var options = new AgdImageClassificationTrainer.Options
        {
            NumberOfEpochs = 2, BatchSize = 4, Width = 8,
            OptimizerInsteadOfAgd = network => new ActionOptimizer(network.parameters(), () => { foreach (var p in network.parameters()) p.mul_(1e20); }),
        };
        var e = Assert.ThrowsExactly<TrainingDivergedException>(() => _ml.MulticlassClassification.Trainers.Agd(options).Fit(Good(size: 4)));
        StringAssert.Contains(e.Message, "Training diverged");
    }

    [TestMethod]
    public void ExtremeButFiniteFeaturesAreStandardizedAndTrain()
    {
        var rows = SyntheticImages.Vectors(4, 4, seed: 5);
        foreach (var row in rows)
            for (int i = 0; i < row.Features.Length; i++)
                row.Features[i] *= 1e30f; // overflowed the square loss before the network standardized its input
        var model = Trainer().Fit(DataViews.Prepare(_ml, rows)).Model;
        Assert.IsTrue(model.History.All(h => double.IsFinite(h.TrainLoss)));
        Assert.AreEqual(0.5e30, model.InputMean[0], 0.1e30);
    }

    [TestMethod]
    public void PredictionInputOfTheWrongSizeIsReported()
    {
        var model = Trainer().Fit(Good(size: 4));
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.Transform(Good(size: 5)));
        StringAssert.Contains(e.Message, "has 25 values per row, but the image shape 1x1x16 needs 16");
    }

    [TestMethod]
    public void OutOfRangeOptionsAreNamed()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => _ml.MulticlassClassification.Trainers.Agd(batchSize: 0));
        Assert.AreEqual("BatchSize", e.ParamName);
        var n = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => _ml.MulticlassClassification.Trainers.Agd(new AgdImageClassificationTrainer.Options { StepNorm = (AgdStepNorm)7 }));
        Assert.AreEqual("StepNorm", n.ParamName);
        StringAssert.Contains(n.Message, "Spectral or Frobenius");
        var o = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new AgdOptimizer(TorchSharp.torch.nn.Linear(2, 2)) { Norm = (AgdStepNorm)7 });
        Assert.AreEqual("Norm", o.ParamName);
    }
}

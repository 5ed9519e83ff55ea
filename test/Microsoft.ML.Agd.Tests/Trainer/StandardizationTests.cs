using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Tests.Trainer;

[TestClass]
public class StandardizationTests
{
    // Three channels at different scales and offsets, as RGB pixels in 0-255 or a sensor's raw counts can be.
    private static List<SyntheticImages.VectorRow> Channels(int perClass, int size, int seed, double scale = 1, int constantChannel = -1)
        => SyntheticImages.Vectors(perClass, size, seed, channels: 3).Select(r => new SyntheticImages.VectorRow
        {
            Label = r.Label,
            Features = r.Features.Select((v, i) => i / (size * size) is var c && c == constantChannel ? 0.5f : (float)(scale * (v * (c + 1) * 40 + c * 10))).ToArray(),
        }).ToList();

    [TestMethod]
    public void StatisticsEqualAFloat64ComputationOverTheData()
    {
        var ml = new MLContext(seed: 1);
        var rows = Channels(7, 6, seed: 2);
        var shape = new AgdImageShape(3, 6, 6);
        using var read = LabelledImages.Read(DataViews.Prepare(ml, rows), new InputColumns("Features", "Label"), shape, "training");

        using var all = tensor(rows.SelectMany(r => r.Features).Select(v => (double)v).ToArray(), [rows.Count, 3, 6, 6]);
        var perChannel = all.transpose(0, 1).reshape(3, -1);
        var mean = perChannel.mean([1]).data<double>().ToArray();
        var deviation = perChannel.std(1, unbiased: false).data<double>().ToArray();
        for (int c = 0; c < 3; c++)
        {
            Assert.AreEqual(mean[c], read.Mean[c], 1e-9 * Math.Abs(mean[c]), $"mean of channel {c}");
            Assert.AreEqual(deviation[c], read.StandardDeviation[c], 1e-9 * deviation[c], $"standard deviation of channel {c}");
        }
        Assert.IsTrue(mean[2] > mean[0] + 10 && deviation[2] > 2 * deviation[0], "The channels really differ.");
    }

    [TestMethod]
    public void PixelsAtAnyScaleTrainTheSameNetwork()
    {
        var ml = new MLContext(seed: 3);
        var options = new AgdImageClassificationTrainer.Options { Depth = 3, Width = 32, NumberOfEpochs = 2, BatchSize = 8, ImageShape = new AgdImageShape(3, 6, 6) };
        AgdImageClassificationTransformer Train(double scale) => ml.MulticlassClassification.Trainers.Agd(options)
            .Fit(DataViews.Prepare(ml, Channels(12, 6, seed: 4, scale)));
        var unit = Train(1.0 / 255);
        var bytes = Train(1.0);

        var expected = ((StandardizedNetwork)unit.Model.Network).Network.parameters().ToList();
        var actual = ((StandardizedNetwork)bytes.Model.Network).Network.parameters().ToList();
        Assert.AreEqual(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            double error = actual[i].sub(expected[i]).norm().item<float>() / expected[i].norm().item<float>();
            Assert.IsTrue(error < 1e-4, $"parameter {i} differs by {error:E2} between 0-1 and 0-255 pixels.");
        }
        for (int e = 0; e < options.NumberOfEpochs; e++)
            Assert.AreEqual(unit.Model.History[e].TrainAccuracy, bytes.Model.History[e].TrainAccuracy, 1.0 / 36, $"epoch {e + 1}");
        for (int c = 0; c < 3; c++)
            Assert.AreEqual(unit.Model.InputMean[c] * 255, bytes.Model.InputMean[c], 1e-3 * bytes.Model.InputMean[c]);
    }

    [TestMethod]
    public void SavedModelScoresRawPixelsAsTheNetworkDoes()
    {
        var ml = new MLContext(seed: 5);
        var rows = Channels(6, 6, seed: 6);
        var data = DataViews.Prepare(ml, rows);
        var model = ml.MulticlassClassification.Trainers.Agd(new AgdImageClassificationTrainer.Options
        {
            Architecture = AgdArchitecture.ResNet18, BaseWidth = 4, ImageShape = new AgdImageShape(3, 6, 6), NumberOfEpochs = 1, BatchSize = 6,
        }).Fit(data);
        ModelAssert.SavedModelScoresAsTheNetwork(ml, model, data, rows);
    }

    [TestMethod]
    public void AConstantChannelTrainsWithoutNaN()
    {
        var ml = new MLContext(seed: 7);
        var rows = Channels(8, 6, seed: 8, constantChannel: 1);
        var model = ml.MulticlassClassification.Trainers.Agd(new AgdImageClassificationTrainer.Options
        {
            Architecture = AgdArchitecture.ResNet18, BaseWidth = 4, ImageShape = new AgdImageShape(3, 6, 6), NumberOfEpochs = 2, BatchSize = 8,
        }).Fit(DataViews.Prepare(ml, rows)).Model;
        Assert.AreEqual(0.5, model.InputMean[1], 1e-7);
        Assert.AreEqual(1.0, model.InputStandardDeviation[1], "A constant channel is divided by one, not zero.");
        Assert.IsTrue(model.History.All(e => double.IsFinite(e.TrainLoss)));
        using var images = tensor(rows.SelectMany(r => r.Features).ToArray(), [rows.Count, 3, 6, 6]);
        Assert.IsTrue(model.Network.call(images).isfinite().all().item<bool>());
    }

    [TestMethod]
    public void ContinuedTrainingKeepsTheEarlierStatistics()
    {
        var ml = new MLContext(seed: 9);
        var options = new AgdImageClassificationTrainer.Options { Depth = 2, Width = 16, NumberOfEpochs = 1, BatchSize = 8 };
        var first = ml.MulticlassClassification.Trainers.Agd(options).Fit(DataViews.Prepare(ml, Channels(6, 6, seed: 10)));
        var more = ml.MulticlassClassification.Trainers.Agd(options)
            .Fit(DataViews.Prepare(ml, Channels(6, 6, seed: 11, scale: 2)), null, first.Model);
        CollectionAssert.AreEqual(first.Model.InputMean.ToList(), more.Model.InputMean.ToList());
        CollectionAssert.AreEqual(first.Model.InputStandardDeviation.ToList(), more.Model.InputStandardDeviation.ToList());
    }
}

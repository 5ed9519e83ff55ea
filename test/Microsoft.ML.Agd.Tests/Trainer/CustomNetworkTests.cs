namespace Microsoft.ML.Agd.Tests.Trainer;

[TestClass]
public class CustomNetworkTests
{
    [TestMethod]
    public void AUsersVggTrainsThroughTheCatalogAndSavesLoadsExportsAndContinues()
    {
        var ml = new MLContext(seed: 31);
        var rows = SyntheticImages.Vectors(12, 8, seed: 32);
        var data = DataViews.Prepare(ml, rows);
        var options = new AgdImageClassificationTrainer.Options
        {
            NetworkFactory = (shape, classes) => Vgg.Create(shape, classes, baseWidth: 4, stages: [1, 1, 2]),
            ImageShape = new AgdImageShape(1, 8, 8), NumberOfEpochs = 6, BatchSize = 6, KeepBestEpoch = true,
        };
        var model = ml.MulticlassClassification.Trainers.Agd(options).Fit(data, data);
        Assert.AreEqual(AgdArchitecture.Custom, model.Model.Architecture);
        Assert.IsTrue(model.Model.History.Max(e => e.ValidationAccuracy!.Value) > 0.6, string.Join(", ", model.Model.History.Select(e => e.ValidationAccuracy)));

        // Saved, then loaded where nothing knows the factory: the zip holds the network as ONNX.
        ModelAssert.SavedModelScoresAsTheNetwork(ml, model, data, rows);
        Onnx.ModuleExportTests.AssertOnnxAgrees(model.Model.Network, new AgdImageShape(1, 8, 8), 3);

        options.KeepBestEpoch = false;
        options.NumberOfEpochs = 1;
        var continued = ml.MulticlassClassification.Trainers.Agd(options).Fit(data, null, model.Model);
        Assert.AreEqual(model.Model.History.Count + 1, continued.Model.History.Count);
    }

    [TestMethod]
    [DataRow(1, 28, 28, 10, 4)]
    [DataRow(3, 32, 32, 100, 8)]
    [DataRow(3, 5, 7, 2, 3)] // pooled only while the image is 2x2 or larger
    public void AVggsCountedWeightsAreTheWeightsItBuilds(int channels, int height, int width, int classes, int baseWidth)
    {
        var shape = new AgdImageShape(channels, height, width);
        using var vgg = Microsoft.ML.Agd.Samples.Networks.Vgg.Create(shape, classes, baseWidth);
        Assert.AreEqual(vgg.parameters().Sum(p => (double)p.numel()), Microsoft.ML.Agd.Samples.Networks.Vgg.ParameterCount(shape, classes, baseWidth));
    }

    [TestMethod]
    public void CustomWithoutAFactoryIsNamed()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new AgdImageClassificationTrainer(new AgdImageClassificationTrainer.Options { Architecture = AgdArchitecture.Custom }));
        Assert.AreEqual("NetworkFactory", e.ParamName);
    }
}

namespace Microsoft.ML.Agd.Tests.Trainer;

/// <summary>The trainer and its transformer at the edges of their lives: stopped before they start, given nothing, used after disposal.</summary>
[TestClass]
public class LifecycleTests
{
    private readonly MLContext _ml = new(seed: 0);

    private IDataView Good() => DataViews.Prepare(_ml, SyntheticImages.Vectors(6, 4, seed: 1));

    private static AgdImageClassificationTrainer Trainer(CancellationToken cancellation = default)
        => new MLContext(0).MulticlassClassification.Trainers.Agd(new AgdImageClassificationTrainer.Options { NumberOfEpochs = 2, Width = 8, CancellationToken = cancellation });

    [TestMethod]
    public void FitWithAnAlreadyCancelledTokenThrowsInsteadOfReturningAnUntrainedModel()
    {
        using var stop = new CancellationTokenSource();
        stop.Cancel();
        var e = Assert.ThrowsExactly<OperationCanceledException>(() => Trainer(stop.Token).Fit(Good()));
        Assert.AreEqual("Training was stopped before its first epoch ended, so there is no model to return.", e.Message);
        Assert.AreEqual(stop.Token, e.CancellationToken);
    }

    [TestMethod]
    public void DataWithNoRowsAtAllIsNamedAsSuch()
    {
        var none = DataViews.LoadLazily(_ml, new List<SyntheticImages.VectorRow>(), 16);
        var empty = _ml.Transforms.Conversion.MapValueToKey("Label").Fit(none).Transform(none);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => Trainer().Fit(empty));
        Assert.AreEqual("The training data has no rows with a label in column 'Label': it has no rows at all. Give it images of at least two classes.", e.Message);
        var validation = Assert.ThrowsExactly<InvalidOperationException>(() => Trainer().Fit(Good(), _ml.Data.SkipRows(Good(), 1000)));
        StringAssert.StartsWith(validation.Message, "The validation data has no rows");
    }

    [TestMethod]
    public void ADisposedTransformerSaysSo()
    {
        var data = Good();
        var model = Trainer().Fit(data);
        model.Dispose();
        model.Dispose(); // twice is harmless
        Assert.ThrowsExactly<ObjectDisposedException>(() => model.Transform(data));
        Assert.ThrowsExactly<ObjectDisposedException>(() => model.GetOutputSchema(data.Schema));
        Assert.ThrowsExactly<ObjectDisposedException>(() => _ml.Model.Save(model, data.Schema, new MemoryStream()));
    }

    [TestMethod]
    public void ARunOfMoreStepsThanAnIntCountsIsAveragedOverItsLastTenth()
    {
        using var network = new Fcn(4, 4, 2, 3);
        // A billion epochs of 47 batches: 47 billion steps, of which the last tenth are averaged.
        using var average = new IterateAverage(network, 47L * 1_000_000_000);
        for (int i = 0; i < 3; i++)
            average.Add();
        Assert.AreEqual(3L, average.Steps);
        Assert.AreEqual(0L, average.Averaged);
    }
}

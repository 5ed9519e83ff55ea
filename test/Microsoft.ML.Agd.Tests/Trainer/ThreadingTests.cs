namespace Microsoft.ML.Agd.Tests.Trainer;

[TestClass]
public class ThreadingTests
{
    // The README's pattern: a PredictionEngine is not thread-safe (ML.NET documents it so), so each thread gets its own.
    [TestMethod]
    public void OneEnginePerThreadGivesTheSameAnswersAsOneThread()
    {
        var ml = new MLContext(seed: 21);
        var rows = SyntheticImages.Vectors(20, 8, seed: 22);
        var data = DataViews.Load(ml, rows);
        var model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.Agd(numberOfEpochs: 2, batchSize: 10))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(data);
        var expected = ml.Data.CreateEnumerable<PredictedRow>(model.Transform(data), reuseRowObject: false).ToList();

        using var engines = new ThreadLocal<PredictionEngine<SyntheticImages.VectorRow, PredictedRow>>(
            () => ml.Model.CreatePredictionEngine<SyntheticImages.VectorRow, PredictedRow>(model, inputSchema: data.Schema), trackAllValues: true);
        var mismatches = new int[4];
        var threads = Enumerable.Range(0, 4).Select(thread => new Thread(() =>
        {
            for (int repeat = 0; repeat < 5; repeat++)
                for (int i = 0; i < rows.Count; i++)
                {
                    var got = engines.Value!.Predict(rows[i]);
                    if (got.PredictedLabel != expected[i].PredictedLabel || Math.Abs(got.Score.Max() - expected[i].Score.Max()) > 1e-5)
                        mismatches[thread]++;
                }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.AreEqual(0, mismatches.Sum());
        foreach (var engine in engines.Values)
            engine.Dispose();
    }
}

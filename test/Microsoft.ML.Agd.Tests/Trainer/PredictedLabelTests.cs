namespace Microsoft.ML.Agd.Tests.Trainer;

[TestClass]
public class PredictedLabelTests
{
    [TestMethod]
    public void PredictedLabelIsTheBestScoringClass()
    {
        var ml = new MLContext(seed: 12);
        var data = DataViews.Prepare(ml, SyntheticImages.Vectors(20, 8, seed: 13));
        var model = ml.MulticlassClassification.Trainers.Agd(numberOfEpochs: 1, batchSize: 30).Fit(data);
        var rows = ml.Data.CreateEnumerable<ScoredRow>(model.Transform(data), reuseRowObject: false).ToList();
        foreach (var row in rows)
        {
            int best = Array.IndexOf(row.Score, row.Score.Max());
            Assert.AreEqual((uint)best + 1, row.PredictedLabel, $"scores {string.Join(", ", row.Score)}");
        }
    }
}

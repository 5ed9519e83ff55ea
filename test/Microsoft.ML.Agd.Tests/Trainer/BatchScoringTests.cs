using Microsoft.ML.Data;

namespace Microsoft.ML.Agd.Tests.Trainer;

/// <summary>A batch Transform runs the network on many rows at once; it must give what the saved chain gives row by row.</summary>
[TestClass]
public class BatchScoringTests
{
    [TestMethod]
    public void TransformScoresEveryRowAsThePredictionEngineDoes()
    {
        // 3 x 110 rows of 8 x 8 pixels: one full batch of 256 rows and a short one.
        var (ml, rows, data, model) = Trained(perClass: 110, seed: 14);
        var batched = ml.Data.CreateEnumerable<ScoredRow>(model.Transform(data), reuseRowObject: false).ToList();
        var definition = SchemaDefinition.Create(typeof(SyntheticImages.VectorRow));
        definition[nameof(SyntheticImages.VectorRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 64);
        var engine = ml.Model.CreatePredictionEngine<SyntheticImages.VectorRow, ScoredRow>(model, inputSchemaDefinition: definition);

        Assert.AreEqual(330, batched.Count);
        for (int i = 0; i < rows.Count; i++)
        {
            var single = engine.Predict(rows[i]);
            Assert.AreEqual(single.PredictedLabel, batched[i].PredictedLabel, $"row {i}");
            for (int k = 0; k < single.Score.Length; k++)
                Assert.AreEqual(single.Score[k], batched[i].Score[k], 1e-5, $"row {i} class {k}");
        }
    }

    [TestMethod]
    public void InputColumnsKeepTheirRowsAndTheNetworkRunsOnlyWhenItsOutputIsRead()
    {
        var (_, rows, data, model) = Trained(perClass: 100, seed: 16);
        var scored = model.Transform(data);

        // The label read beside the score is the label of the same row, across the batch boundary at row 256.
        var labels = rows.Select(r => r.Label).ToList();
        using (var cursor = scored.GetRowCursor([scored.Schema["Label"], scored.Schema["Score"]]))
        {
            var label = cursor.GetGetter<uint>(scored.Schema["Label"]);
            var score = cursor.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
            var keys = scored.Schema["Label"];
            VBuffer<ReadOnlyMemory<char>> names = default;
            keys.GetKeyValues(ref names);
            uint key = 0;
            VBuffer<float> scores = default;
            for (int i = 0; cursor.MoveNext(); i++)
            {
                label(ref key);
                score(ref scores);
                Assert.AreEqual(labels[i], names.GetValues()[(int)key - 1].ToString(), $"row {i}");
                Assert.AreEqual(3, scores.Length);
            }
        }
        using (var cursor = scored.GetRowCursor([scored.Schema["Label"]]))
        {
            Assert.IsFalse(cursor.IsColumnActive(scored.Schema["Score"]));
            int count = 0;
            while (cursor.MoveNext())
                count++;
            Assert.AreEqual(300, count);
        }
    }

    // A model trained for one epoch on generated 8 x 8 images of three classes, and its rows and data.
    private static (MLContext Ml, List<SyntheticImages.VectorRow> Rows, IDataView Data, AgdImageClassificationTransformer Model) Trained(int perClass, int seed)
    {
        var ml = new MLContext(seed);
        var rows = SyntheticImages.Vectors(perClass, 8, seed: seed + 1);
        var data = DataViews.Prepare(ml, rows);
        return (ml, rows, data, ml.MulticlassClassification.Trainers.Agd(numberOfEpochs: 1, batchSize: 30).Fit(data));
    }
}

using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Tests.TestData;

/// <summary>Checks on fitted models that several tests share.</summary>
internal static class ModelAssert
{
    /// <summary>
    /// Saves the model, loads it in a fresh MLContext (which knows nothing of how it was trained), and checks that it
    /// scores every row as the trained TorchSharp network does on the same raw pixels, within 1e-4.
    /// </summary>
    public static void SavedModelScoresAsTheNetwork(MLContext ml, AgdImageClassificationTransformer model, IDataView data, IReadOnlyList<SyntheticImages.VectorRow> rows)
    {
        string path = Path.Combine(Path.GetTempPath(), $"agd-model-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(model, data.Schema, path);
            var loaded = new MLContext().Model.Load(path, out _);
            var scores = ml.Data.CreateEnumerable<ScoredRow>(loaded.Transform(data), reuseRowObject: false).ToList();
            var shape = model.Model.ImageShape;
            using var images = tensor(rows.SelectMany(r => r.Features).ToArray(), [rows.Count, shape.Channels, shape.Height, shape.Width]);
            using var noGrad = no_grad();
            using var expected = nn.functional.softmax(model.Model.Network.call(images), 1);
            int classes = model.Model.ClassNames.Count;
            for (int i = 0; i < rows.Count; i++)
                for (int k = 0; k < classes; k++)
                    Assert.AreEqual(expected[i, k].item<float>(), scores[i].Score[k], 1e-4, $"row {i} class {k}");
        }
        finally
        {
            File.Delete(path);
        }
    }
}

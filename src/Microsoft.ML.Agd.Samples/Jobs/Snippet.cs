namespace Microsoft.ML.Agd.Samples.Jobs;

/// <summary>The C# a user pastes to load a trained model and classify an image file.</summary>
public static class Snippet
{
    /// <summary>Generates the snippet for a model folder.</summary>
    public static string For(ModelInfo info, ModelFolder folder) => $$"""
        // Loads the model that 'agd train' wrote and classifies one image file.
        // Needs the packages Microsoft.ML, Microsoft.ML.OnnxTransformer (the network runs as ONNX inside the model) and
        // Microsoft.ML.ImageAnalytics (for SkiaSharp, which decodes the image).
        using Microsoft.ML;
        using Microsoft.ML.Data;
        using SkiaSharp;

        var ml = new MLContext();
        var model = ml.Model.Load(@"{{folder.Model}}", out _);
        var engine = ml.Model.CreatePredictionEngine<ModelInput, ModelOutput>(model);

        // The model reads {{info.Channels}}x{{info.Height}}x{{info.Width}} pixels in [0, 1], channel by channel ({{(info.Channels == 1 ? "grey: the mean of R, G and B" : "R, then G, then B")}}).
        using var image = SKBitmap.Decode(args[0]);
        using var resized = image.Resize(new SKImageInfo({{info.Width}}, {{info.Height}}, SKColorType.Rgba8888, SKAlphaType.Unpremul), SKFilterQuality.High);
        var rgba = resized.GetPixelSpan();
        int plane = {{info.Width * info.Height}};
        var features = new float[{{info.Channels}} * plane];
        for (int p = 0; p < plane; p++)
        {
            float r = rgba[4 * p] / 255f, g = rgba[4 * p + 1] / 255f, b = rgba[4 * p + 2] / 255f;
            {{(info.Channels == 1 ? "features[p] = (r + g + b) / 3;" : "features[p] = r; features[plane + p] = g; features[2 * plane + p] = b;")}}
        }
        var prediction = engine.Predict(new ModelInput { Features = features });
        Console.WriteLine($"{prediction.PredictedLabel} ({prediction.Score.Max():P1})");

        public sealed class ModelInput
        {
            [VectorType({{info.Channels}}, {{info.Height}}, {{info.Width}})]
            public float[] Features { get; set; } = [];
        }

        public sealed class ModelOutput
        {
            public string PredictedLabel { get; set; } = "";
            public float[] Score { get; set; } = [];
        }

        """;
}

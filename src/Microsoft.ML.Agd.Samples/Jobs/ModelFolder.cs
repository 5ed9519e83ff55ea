using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.ML.Agd.Samples.Data;
using Microsoft.ML.Data;

namespace Microsoft.ML.Agd.Samples.Jobs;

/// <summary>What a trained model folder holds and how to read it back.</summary>
public sealed record ModelInfo(string Architecture, int Channels, int Height, int Width, IReadOnlyList<string> ClassNames, string TrainedOn,
    IReadOnlyList<double> InputMean, IReadOnlyList<double> InputStandardDeviation)
{
    /// <summary>The image shape the model reads.</summary>
    [JsonIgnore]
    public AgdImageShape Shape => new(Channels, Height, Width);
}

/// <summary>The files of a model folder: model.zip (ML.NET), model.onnx, model.json, metrics.json, curves.png, and the predict/ project.</summary>
public sealed class ModelFolder(string path)
{
    internal static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Converters = { new JsonStringEnumConverter() } };

    /// <summary>The folder.</summary>
    public string Path { get; } = System.IO.Path.GetFullPath(path);

    /// <summary>The ML.NET model.</summary>
    public string Model => File("model.zip");
    /// <summary>The standalone ONNX model.</summary>
    public string Onnx => File("model.onnx");
    /// <summary>The model's shape and classes.</summary>
    public string Info => File("model.json");
    /// <summary>Test metrics and the training history.</summary>
    public string Metrics => File("metrics.json");
    /// <summary>Training curves.</summary>
    public string Curves => File("curves.png");
    /// <summary>The generated console project (Predict.csproj, Program.cs) that loads the model and classifies image files.</summary>
    public string PredictProject => File("predict");

    /// <summary>A file of the folder.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>
    /// Writes a trained model as every verb reads it: model.zip (Features in; Score and PredictedLabel, as text, out),
    /// model.onnx, model.json and the predict/ consumption project.
    /// </summary>
    public ModelInfo Write(MLContext ml, AgdImageClassificationTransformer agd, LabelledImageSet train)
    {
        Directory.CreateDirectory(Path);
        var input = train.ToDataView(ml);
        var scored = agd.Transform(train.LabelKeys(ml).Transform(input));
        var model = new TransformerChain<ITransformer>(agd, ml.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(scored));
        ml.Model.Save(model, input.Schema, Model);
        agd.Model.ExportOnnx(Onnx);
        var shape = agd.Model.ImageShape;
        var info = new ModelInfo(agd.Model.Architecture.ToString(), shape.Channels, shape.Height, shape.Width, agd.Model.ClassNames, train.Description,
            agd.Model.InputMean, agd.Model.InputStandardDeviation);
        WriteJson(Info, info);
        ConsumptionProject.Write(PredictProject, info);
        return info;
    }

    /// <summary>Reads model.json.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder or its model is missing.</exception>
    public ModelInfo ReadInfo()
    {
        if (!System.IO.File.Exists(Info) || !System.IO.File.Exists(Model))
            throw new DirectoryNotFoundException($"'{Path}' is not a model folder: it needs model.zip and model.json, as 'agd train' writes them.");
        return JsonSerializer.Deserialize<ModelInfo>(System.IO.File.ReadAllText(Info), Json)
            ?? throw new InvalidDataException($"'{Info}' is empty.");
    }

    /// <summary>Writes an object as indented JSON.</summary>
    public static void WriteJson<T>(string path, T value) => System.IO.File.WriteAllText(path, JsonSerializer.Serialize(value, Json));

    /// <summary>Loads the ML.NET model.</summary>
    public ITransformer Load(MLContext ml) => ml.Model.Load(Model, out _);

    /// <summary>Decodes image files to the rows the model reads.</summary>
    public static IReadOnlyList<ImageRow> Decode(IEnumerable<string> files, AgdImageShape shape)
        => files.Select(f => new ImageRow { Features = ImageDecoder.Decode(f, shape) }).ToList();
}

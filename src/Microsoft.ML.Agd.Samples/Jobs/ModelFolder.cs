using Microsoft.ML.Agd.Samples.Charts;
using Microsoft.ML.Agd.Samples.Data;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.ML.Data;

namespace Microsoft.ML.Agd.Samples.Jobs;

/// <summary>What a trained model folder holds and how to read it back.</summary>
/// <param name="Sha256">The SHA-256 of model.zip and model.onnx as written, in hex, by file name: a changed byte is noticed on load.</param>
internal sealed record ModelInfo(string Architecture, int Channels, int Height, int Width, IReadOnlyList<string> ClassNames, string TrainedOn,
    IReadOnlyList<double> InputMean, IReadOnlyList<double> InputStandardDeviation, IReadOnlyDictionary<string, string>? Sha256 = null)
{
    /// <summary>The image shape the model reads.</summary>
    [JsonIgnore]
    public AgdImageShape Shape => new(Channels, Height, Width);
}

/// <summary>The files of a model folder: model.zip (ML.NET), model.onnx, model.json, run.json, metrics.json, curves.png, and the predict/ project.</summary>
internal sealed class ModelFolder
{
    internal static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Converters = { new JsonStringEnumConverter(allowIntegerValues: false) } }; // an edited 5 is no Loss

    /// <summary>A model folder at <paramref name="path"/>, as <paramref name="option"/> gave it.</summary>
    /// <exception cref="ArgumentException">The path is empty or the file system's root; the message names the option.</exception>
    public ModelFolder(string? path, string option = "-o")
    {
        Path = OutputFolder.Normalize(path, option);
        _option = option;
    }

    private readonly string _option;

    /// <summary>The folder, in full, without a trailing separator.</summary>
    public string Path { get; }

    /// <summary>The ML.NET model.</summary>
    public string Model => File("model.zip");
    /// <summary>What AGD made of the network: one line per layer.</summary>
    public string Layers => File("layers.txt");
    /// <summary>The standalone ONNX model.</summary>
    public string Onnx => File("model.onnx");
    /// <summary>The model's shape and classes.</summary>
    public string Info => File("model.json");
    /// <summary>Test metrics and the training history.</summary>
    public string Metrics => File("metrics.json");
    /// <summary>The run's whole configuration, which <c>agd train --config</c> replays.</summary>
    public string Run => File("run.json");
    /// <summary>The page a person opens: metrics, curves, confusion matrix, per-class accuracy, mistakes, layers, configuration.</summary>
    public string Report => File(ReportPage.FileName);
    /// <summary>Training curves.</summary>
    public string Curves => File("curves.png");
    /// <summary>The generated console project (Predict.csproj, Program.cs) that loads the model and classifies image files.</summary>
    public string PredictProject => File("predict");
    /// <summary>The generated console project (Train.csproj, Program.cs) that trains the same model with the same pipeline and options.</summary>
    public string TrainProject => File("train");

    /// <summary>A file of the folder.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    // What a model folder may hold: the files the verbs write, and the consumption project (with its build outputs).
    private static readonly string[] s_files = ["model.zip", "model.onnx", "model.json", "run.json", "report.html", "layers.txt", "metrics.json", "curves.png", "confusion.png", "leaderboard.md", "search.png"];
    private static readonly string[] s_folders = ["predict", "train"];
    // The files model.json records a checksum of: what scoring reads.
    private static readonly string[] s_checked = ["model.zip", "model.onnx"];

    /// <summary>A file's SHA-256, in lowercase hex.</summary>
    public static string Sha256Of(string file)
    {
        using var stream = InputFile.OpenRead(file);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream));
    }

    /// <summary>
    /// Checks, before any training, that the folder can be written as a whole: it is not a file, holds nothing but a
    /// model folder's own files (a new model replaces the whole folder), it and everything in it can be replaced, and
    /// its parent takes a new folder. Leftovers of killed runs beside it are deleted.
    /// </summary>
    /// <exception cref="IOException">The folder cannot be written; the message names the option, the path and why.</exception>
    public void CheckWritable() => OutputFolder.CheckReplaceable(Path, _option, s_files, s_folders, "model folder");

    /// <summary>
    /// Writes the folder as a whole or not at all (<see cref="OutputFolder.WriteWhole"/>): a failure or a kill leaves the
    /// earlier folder as it was.
    /// </summary>
    public void WriteWhole(Action<ModelFolder> write)
    {
        CheckWritable();
        OutputFolder.WriteWhole(Path, staging => write(new ModelFolder(staging, _option)));
    }

    /// <summary>
    /// Writes a trained model as every verb reads it: model.zip (Features in; Score and PredictedLabel, as text, out),
    /// model.onnx, model.json and the predict/ consumption project. Call it inside <see cref="WriteWhole"/>.
    /// </summary>
    public ModelInfo WriteModel(MLContext ml, AgdImageClassificationTransformer agd, LabelledImageSet train)
    {
        var input = train.ToDataView(ml);
        var scored = agd.Transform(train.LabelKeys(ml).Transform(input));
        var model = new TransformerChain<ITransformer>(agd, ml.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(scored));
        ml.Model.Save(model, input.Schema, Model);
        agd.Model.ExportOnnx(Onnx);
        var shape = agd.Model.ImageShape;
        var info = new ModelInfo(agd.Model.Architecture.ToString(), shape.Channels, shape.Height, shape.Width, agd.Model.ClassNames, train.Description,
            agd.Model.InputMean, agd.Model.InputStandardDeviation, s_checked.ToDictionary(f => f, f => Sha256Of(File(f))));
        WriteJson(Info, info);
        System.IO.File.WriteAllText(Layers, agd.Model.Plan.Describe() + Environment.NewLine);
        ConsumptionProject.Write(PredictProject, info);
        return info;
    }

    /// <summary>
    /// Reads model.json and checks the files it records against their checksums; a folder that another run replaced while
    /// it was read is read again, whole (<see cref="ReadWhole"/>).
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder or its model is missing.</exception>
    /// <exception cref="InvalidDataException">model.json is damaged, or a file differs from its checksum.</exception>
    public ModelInfo ReadInfo() => ReadWhole(Info, ReadInfoOnce);

    private ModelInfo ReadInfoOnce()
    {
        if (!System.IO.File.Exists(Info) || !System.IO.File.Exists(Model))
            throw new DirectoryNotFoundException($"'{Path}' is not a model folder: it needs model.zip and model.json, as 'agd train' writes them.");
        var info = JsonErrors.ReadFile<ModelInfo>(Info, Json, why => Damaged(Info, why));
        if (info is null || info.Channels < 1 || info.Height < 1 || info.Width < 1 || info.ClassNames is not { Count: >= 2 } || string.IsNullOrEmpty(info.Architecture))
            throw Damaged(Info, "it lacks the image shape (Channels, Height, Width), the architecture or at least two ClassNames");
        foreach (string file in s_checked)
        {
            if (info.Sha256?.GetValueOrDefault(file) is not { } expected)
                throw Damaged(Info, $"it records no SHA-256 of {file} (it was written by an earlier agd, or edited)");
            if (!System.IO.File.Exists(File(file)))
                throw Damaged(File(file), "it is missing");
            if (Sha256Of(File(file)) != expected)
                throw Damaged(File(file), "its SHA-256 differs from the one model.json records: it was changed or damaged after training");
        }
        return info;
    }

    /// <summary>
    /// Reads model.json and loads the ML.NET model checked against it (<see cref="ReadInfo"/>, <see cref="Load"/>). A
    /// folder that another run replaced while it was read (its model.json changed meanwhile) is read again, whole.
    /// Dispose the model when done: it holds a temporary copy of the network, deleted on dispose.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder or its model is missing.</exception>
    /// <exception cref="InvalidDataException">A file is damaged, or the files disagree.</exception>
    public (ModelInfo Info, ITransformer Model) Open(MLContext ml) => ReadWhole(Info, () =>
    {
        var info = ReadInfoOnce();
        return (info, Load(ml, info));
    });

    /// <summary>
    /// Runs a read of a folder, and again, whole, when it failed while the folder was replaced: its <paramref name="info"/>
    /// file changed, or the folder itself is another one (a folder is replaced in one step, so a read that sees no
    /// replacement saw one whole folder; two replacements in a row can bring back the same model.json, not the same folder).
    /// </summary>
    internal static T ReadWhole<T>(string info, Func<T> read)
    {
        for (int attempt = 1; ; attempt++)
        {
            var before = Version(info);
            try
            {
                return read();
            }
            catch (InvalidDataException) when (attempt < 10 && !Version(info).Equals(before))
            {
            }
        }
    }

    // What tells one folder from the one that replaced it: when the folder was made, and its info file's bytes.
    private static (DateTime Made, string Bytes) Version(string info)
        => (Directory.GetCreationTimeUtc(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(info))!),
            System.IO.File.Exists(info) ? Convert.ToBase64String(InputFile.ReadAllBytes(info)) : "");

    /// <summary>
    /// Loads the ML.NET model and checks it against model.json: the image shape it reads, and its classes, by name and
    /// in order. Dispose the model when done: it holds a temporary copy of the network, deleted on dispose.
    /// </summary>
    /// <exception cref="InvalidDataException">model.zip is damaged, or it and model.json disagree.</exception>
    /// <exception cref="IOException">The temporary folder, where ML.NET unpacks the model, cannot take it.</exception>
    public ITransformer Load(MLContext ml, ModelInfo info)
    {
        ITransformer model;
        DataViewSchema input;
        try
        {
            using var archive = System.IO.Compression.ZipFile.OpenRead(Model); // damage ML.NET would report as an I/O error
        }
        catch (InvalidDataException e)
        {
            throw Damaged(Model, $"it is not a whole zip archive ({e.Message})");
        }
        try
        {
            model = ml.Model.Load(Model, out input);
        }
        catch (Exception e) when (Unwritable(e) is { } io)
        {
            throw new IOException($"The model '{Model}' could not be unpacked into the temporary folder '{System.IO.Path.GetTempPath()}' ({io.Message}); free space there, or set TMPDIR to another folder.", e);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw Damaged(Model, $"ML.NET cannot read it ({e.Message.Split('\n')[0].Trim()})");
        }
        try
        {
            Check(model, input, info);
            return model;
        }
        catch
        {
            (model as IDisposable)?.Dispose(); // deletes its temporary copy of the network
            throw;
        }
    }

    // A failure to write a temporary file, wherever ML.NET wrapped it: not damage (model.zip's checksum matched).
    private static Exception? Unwritable(Exception e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
            if (inner is IOException and not FileNotFoundException and not EndOfStreamException || inner is UnauthorizedAccessException)
                return inner;
        return null;
    }

    private void Check(ITransformer model, DataViewSchema input, ModelInfo info)
    {
        if (input.GetColumnOrNull("Features")?.Type is not VectorDataViewType { Dimensions: var dimensions } || !dimensions.SequenceEqual([info.Channels, info.Height, info.Width]))
        {
            string reads = input.GetColumnOrNull("Features")?.Type is VectorDataViewType { Dimensions: [var c, var h, var w] } ? $"{c}x{h}x{w} images" : "no images of channels x height x width";
            throw Damaged(Info, $"it says the model reads {info.Shape} images, but model.zip reads {reads}: the two files are from different models or were edited");
        }
        int scores = model.GetOutputSchema(input).GetColumnOrNull("Score")?.Type is VectorDataViewType score ? score.Size : 0;
        if (scores != info.ClassNames.Count)
            throw Damaged(Info, $"it names {info.ClassNames.Count} classes, but model.zip scores {scores}: the two files are from different models or were edited");
        var keys = KeyNames(model, input) ?? [];
        if (!keys.SequenceEqual(info.ClassNames))
            throw Damaged(Info, $"its ClassNames ({string.Join(", ", info.ClassNames)}) differ from model.zip's labels ({string.Join(", ", keys)}): " +
                "the two files are from different models or were edited");
    }

    // The class names model.zip predicts: the key values of PredictedLabel before the chain's last step turns keys into text.
    private static IReadOnlyList<string>? KeyNames(ITransformer model, DataViewSchema input)
    {
        var schema = input;
        foreach (var step in model as IEnumerable<ITransformer> ?? [])
        {
            schema = step.GetOutputSchema(schema);
            if (schema.GetColumnOrNull("PredictedLabel") is { Type: KeyDataViewType } label && label.HasKeyValues())
            {
                VBuffer<ReadOnlyMemory<char>> names = default;
                label.GetKeyValues(ref names);
                return names.DenseValues().Select(n => n.ToString()).ToList();
            }
        }
        return null;
    }

    private InvalidDataException Damaged(string file, string why)
        => new($"The model folder '{Path}' is damaged: {System.IO.Path.GetFileName(file)} cannot be used because {why}. Train the model again (agd train -o {Path}).");

    /// <summary>Writes an object as indented JSON.</summary>
    public static void WriteJson<T>(string path, T value) => System.IO.File.WriteAllText(path, JsonSerializer.Serialize(value, Json));

    /// <summary>Decodes image files to the rows the model reads.</summary>
    public static IReadOnlyList<ImageRow> Decode(IEnumerable<string> files, AgdImageShape shape)
        => files.Select(f => new ImageRow { Features = ImageDecoder.Decode(f, shape) }).ToList();
}

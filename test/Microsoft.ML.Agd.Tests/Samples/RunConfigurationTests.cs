using Microsoft.ML.Agd.Samples.Language;
using System.Text.Json.Nodes;

namespace Microsoft.ML.Agd.Tests.Samples;

/// <summary>
/// A model folder's run.json replays its run: the replay's model.onnx is the original's byte for byte; data that changed
/// since, a file of another format, an edited file and options given beside --config are each refused by name.
/// </summary>
[DoNotParallelize]
[TestClass]
public class RunConfigurationTests
{
    private static string TrainOriginal(TinyData data, string folder)
    {
        string output = data.Path("original");
        var (code, text) = Cli.Run("train", "--data", folder, "--epochs", "3", "--width", "32", "--depth", "2", "--seed", "4", "--output", output);
        Assert.AreEqual(0, code, text);
        return output;
    }

    [TestMethod]
    public void AReplayWritesTheSameModelByteForByte()
    {
        using var data = new TinyData();
        string original = TrainOriginal(data, data.IdxFolder());
        var run = RunConfiguration.Read(Path.Combine(original, "run.json"));
        Assert.AreEqual((2, 32, 3, 4, (int?)null), (run.Depth, run.Width, run.NumberOfEpochs, run.Seed, run.BatchSize), "the options given, and the automatic batch");
        Assert.AreEqual(AgdImageClassificationTrainer.Defaults.Loss, run.Loss, "the defaults spelled out");
        Assert.AreEqual(typeof(TorchSharp.torch).Assembly.GetName().Version!.ToString(3), run.Ran.TorchSharp);

        string replay = data.Path("replay");
        var (code, text) = Cli.Run("train", "--config", Path.Combine(original, "run.json"), "--output", replay);
        Assert.AreEqual(0, code, text);
        StringAssert.Contains(Cli.Unwrapped(text), "Replaying the run on");
        Assert.IsFalse(text.Contains("may differ", StringComparison.Ordinal), "same machine, same versions: " + text);
        CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(original, "model.onnx")), File.ReadAllBytes(Path.Combine(replay, "model.onnx")));
        Assert.AreEqual(File.ReadAllText(Path.Combine(original, "run.json")), File.ReadAllText(Path.Combine(replay, "run.json")));
    }

    [TestMethod]
    public void AStoppedRunIsReplayedToWhereItStopped()
    {
        using var data = new TinyData();
        // Stopped as Ctrl+C stops it: after epoch 2 of 40, during epoch 3.
        using var stop = new CancellationTokenSource();
        var settings = new TrainSettings
        {
            Data = new DataSettings { Folder = data.IdxFolder(), Seed = 4 },
            Trainer = new() { NumberOfEpochs = 40, Width = 32, Depth = 2, Seed = 4 },
            Output = data.Path("original"),
        };
        var result = TrainJob.Run(settings, new SynchronousProgress<AgdEpoch>(e => { if (e.Epoch == 2) stop.Cancel(); }), stop.Token);
        Assert.IsTrue(result.Cancelled);
        var run = RunConfiguration.Read(Path.Combine(settings.Output, "run.json"));
        Assert.AreEqual((40, (int?)2), (run.NumberOfEpochs, run.StoppedAfterEpoch));

        string replay = data.Path("replay");
        var (code, text) = Cli.Run("train", "--config", Path.Combine(settings.Output, "run.json"), "--output", replay);
        Assert.AreEqual(0, code, text);
        StringAssert.Contains(Cli.Unwrapped(text), "Stopped after epoch 2, as the replayed run was.");
        CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(settings.Output, "model.onnx")), File.ReadAllBytes(Path.Combine(replay, "model.onnx")));
        Assert.AreEqual(File.ReadAllText(Path.Combine(settings.Output, "run.json")), File.ReadAllText(Path.Combine(replay, "run.json")));
    }

    [TestMethod]
    public void DataChangedSinceTheRunIsRefusedBeforeTraining()
    {
        using var data = new TinyData();
        string folder = data.IdxFolder();
        string original = TrainOriginal(data, folder);
        // One test label changed (the labels file is gzipped IDX: rewrite it with its last label moved on by one).
        string labels = Directory.GetFiles(folder, "t10k-labels*")[0];
        var bytes = Gunzip(labels);
        bytes[^1] = (byte)((bytes[^1] + 1) % 3);
        TinyData.Gzip(labels, bytes);

        var (code, text) = Cli.Run("train", "--config", Path.Combine(original, "run.json"), "--output", data.Path("replay"));
        Assert.AreEqual(1, code);
        StringAssert.Contains(Cli.Unwrapped(text), $"The data in '{Path.GetFullPath(folder)}' is not the data the replayed run trained on");
        Assert.IsFalse(Directory.Exists(data.Path("replay")));
    }

    [TestMethod]
    public void AnEditedImageSizeIsNamedAsWellAsTheData()
    {
        // An image folder's images are read at the run's ImageShape: edited to another size, they are other rows.
        using var data = new TinyData();
        string original = TrainOriginal(data, data.ImageFolder());
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(original, "run.json")))!.AsObject();
        json["ImageShape"]!["Height"] = 5;
        json["ImageShape"]!["Width"] = 5;
        File.WriteAllText(data.Path("edited.json"), json.ToJsonString());

        var (code, text) = Cli.Run("train", "--config", data.Path("edited.json"), "--output", data.Path("replay"));
        Assert.AreEqual(1, code, text);
        StringAssert.Contains(Cli.Unwrapped(text), "is not the data the replayed run trained on");
        StringAssert.Contains(Cli.Unwrapped(text), "or the run configuration's ImageShape (the size an image folder's images are read at) was edited.");
        Assert.IsFalse(Directory.Exists(data.Path("replay")));
    }

    [TestMethod]
    public void AFileOfAnotherFormatOrEditedIsRefusedByName()
    {
        using var data = new TinyData();
        string original = TrainOriginal(data, data.IdxFolder());
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(original, "run.json")))!.AsObject();
        string Write(string name, Action<JsonObject> edit)
        {
            var copy = json.DeepClone().AsObject();
            edit(copy);
            string path = data.Path(name);
            File.WriteAllText(path, copy.ToJsonString());
            return path;
        }
        var cases = new (string File, string Message)[]
        {
            (Write("newer.json", j => j["Format"] = 2), "is of format 2, and this agd (0.1.0) reads format 1 only: it was written by a newer agd; replay it with that version."),
            (Write("older.json", j => j["Format"] = 0), "it was written by an older agd; replay it with that version."),
            (Write("no-format.json", j => j.Remove("Format")), "has no Format: it is not a run.json that agd train wrote."),
            (Write("unknown.json", j => j["Momentum"] = 0.9), "cannot be replayed: it has a field 'Momentum' that agd does not write"),
            (Write("missing.json", j => j.Remove("Seed")), "cannot be replayed: it lacks the field Seed. Replay an unedited run.json"),
            (Write("bad-enum.json", j => j["Loss"] = "Hinge"), "cannot be replayed: its field Loss (line "),
            (Write("bad-enum2.json", j => j["Loss"] = "Hinge"), "is not a name (square, crossentropy). Replay an unedited run.json"),
            (Write("null-section.json", j => j["Ran"] = null), "cannot be replayed: its field Ran is null."),
            (Write("no-channels.json", j => j["ImageShape"]!["Channels"] = 0), "cannot be replayed: An image folder's images are read with 1 channel (--grey) or 3; the ImageShape's Channels must be one of them. It was 0."),
            (Write("network.json", j => j["Network"] = "vgg99"), "cannot be replayed: its Network: The samples' networks are: vgg16. It was vgg99. Replay an unedited run.json"),
            (Write("custom.json", j => j["Architecture"] = "Custom"), "cannot be replayed: its Architecture is Custom, a network written in C#, which a replay cannot build."),
            (Write("cuda.json", j => j["Device"] = "Cuda"), "cannot be replayed: its Device is Cuda, and this machine has no CUDA device"),
            (Write("stopped-0.json", j => j["StoppedAfterEpoch"] = 0), $"cannot be replayed: its StoppedAfterEpoch is 0, and a run of {json["NumberOfEpochs"]} epoch(s) stops after epoch 1 to {json["NumberOfEpochs"]}."),
            (Write("text-format.json", j => j["Format"] = "1"), "has a Format of \"1\", not a whole number: it is not a run.json that agd train wrote unedited."),
        };
        foreach (var (file, message) in cases)
        {
            var (code, text) = Cli.Run("train", "--config", file, "--output", data.Path("replay"));
            Assert.AreEqual(1, code, file);
            StringAssert.Contains(Cli.Unwrapped(text), $"The run configuration '{file}' ", file);
            StringAssert.Contains(Cli.Unwrapped(text), message, file);
        }
        File.WriteAllText(data.Path("not-json.json"), "{ Format: ");
        StringAssert.Contains(Cli.Unwrapped(Cli.Run("train", "--config", data.Path("not-json.json")).Output), "is not valid JSON");
        StringAssert.Contains(Cli.Unwrapped(Cli.Run("train", "--config", data.Path("absent.json")).Output), $"The run configuration '{data.Path("absent.json")}' does not exist");
        StringAssert.Contains(Cli.Unwrapped(Cli.Run("train", "--config", original).Output), $"The run configuration '{original}' is a folder: give the run.json file in it.");
        Assert.IsFalse(Directory.Exists(data.Path("replay")));
    }

    [TestMethod]
    public void OptionsBesideConfigAreRefused()
    {
        using var data = new TinyData();
        var (code, text) = Cli.Run("train", "--config", data.Path("run.json"), "-e", "5", "--seed", "1", "--output", data.Path("replay"));
        Assert.AreEqual(1, code);
        StringAssert.Contains(Cli.Unwrapped(text), "--config replays a run with the settings it had; --epochs, --seed cannot be given with it.");
    }

    // A small GPT's run on a text of its own: agd lm train's arguments.
    private static string[] LanguageModelRun(string text, string output)
        => ["lm", "train", "--text", text, "--iterations", "12", "--layers", "1", "--heads", "2", "--width", "16", "--context", "8", "--eval-interval", "6", "--eval-batches", "2", "--output", output];

    [TestMethod]
    public void ALanguageModelsReplayWritesTheSameWeightsAndAChangedTextIsRefused()
    {
        using var data = new TinyData();
        string text = data.Path("text.txt");
        File.WriteAllText(text, TinyLanguageModel.Text);
        var (code, said) = Cli.Run(LanguageModelRun(text, data.Path("lm")));
        Assert.AreEqual(0, code, said);
        var run = LanguageModelConfiguration.Read(data.Path("lm", "run.json"));
        Assert.AreEqual((1, 2, 16, 8, 12, "char"), (run.Layers, run.Heads, run.Width, run.Context, run.Iterations, run.Tokens));

        (code, said) = Cli.Run("lm", "train", "--config", data.Path("lm", "run.json"), "--output", data.Path("again"));
        Assert.AreEqual(0, code, said);
        StringAssert.Contains(Cli.Unwrapped(said), $"Replaying the run on {text}");
        CollectionAssert.AreEqual(File.ReadAllBytes(data.Path("lm", "model.bin")), File.ReadAllBytes(data.Path("again", "model.bin")));

        File.AppendAllText(text, "h");
        (code, said) = Cli.Run("lm", "train", "--config", data.Path("lm", "run.json"), "--output", data.Path("changed"));
        Assert.AreEqual(1, code, said);
        StringAssert.Contains(Cli.Unwrapped(said), $"The text in '{text}' is not the text the replayed run trained on");
        Assert.IsFalse(Directory.Exists(data.Path("changed")));
        (code, said) = Cli.Run("lm", "train", "--config", data.Path("lm", "run.json"), "--iterations", "3", "--output", data.Path("changed"));
        StringAssert.Contains(Cli.Unwrapped(said), "--iterations cannot be given with it");

        // An edited size is its field's fault, not an option's that was never given.
        File.WriteAllText(data.Path("edited.json"), File.ReadAllText(data.Path("lm", "run.json")).Replace("\"Layers\": 1,", "\"Layers\": -3,", StringComparison.Ordinal));
        (code, said) = Cli.Run("lm", "train", "--config", data.Path("edited.json"), "--output", data.Path("edited"));
        Assert.AreEqual(1, code, said);
        StringAssert.Contains(Cli.Unwrapped(said), $"The run configuration '{data.Path("edited.json")}' cannot be replayed: its Layers must be at least 1. It was -3.");
        Assert.IsFalse(said.Contains("--layers", StringComparison.Ordinal), said);
        // So are an edited tokenizer and text.
        File.WriteAllText(text, TinyLanguageModel.Text);
        string original = File.ReadAllText(data.Path("lm", "run.json"));
        File.WriteAllText(data.Path("tokens.json"), original.Replace("\"Tokens\": \"char\"", "\"Tokens\": \"x\"", StringComparison.Ordinal));
        (code, said) = Cli.Run("lm", "train", "--config", data.Path("tokens.json"), "--output", data.Path("edited"));
        Assert.AreEqual(1, code, said);
        StringAssert.Contains(Cli.Unwrapped(said), $"The run configuration '{data.Path("tokens.json")}' cannot be replayed: its Tokens is 'x', and agd's tokenizers are char");
        File.WriteAllText(data.Path("text.json"), original.Replace(System.Text.Json.JsonSerializer.Serialize(text), "\"/nonexistent/text.txt\"", StringComparison.Ordinal));
        (code, said) = Cli.Run("lm", "train", "--config", data.Path("text.json"), "--output", data.Path("edited"));
        Assert.AreEqual(1, code, said);
        StringAssert.Contains(Cli.Unwrapped(said), $"The run configuration '{data.Path("text.json")}' cannot be replayed: its Text '/nonexistent/text.txt' cannot be read (The text '/nonexistent/text.txt' does not exist).");
        Assert.IsFalse(said.Contains("--tokens", StringComparison.Ordinal) || said.Contains("--text", StringComparison.Ordinal), said);
    }

    /// <summary>agd lm train's arguments for a small GPT on a text, for the report's test too.</summary>
    internal static string[] SmallLanguageModel(string text, string output) => LanguageModelRun(text, output);

    private static byte[] Gunzip(string path)
    {
        using var input = new System.IO.Compression.GZipStream(File.OpenRead(path), System.IO.Compression.CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }
}

namespace Microsoft.ML.Agd.Tests.Samples;

/// <summary>A model folder is written whole or not at all, checked before training, and named as damaged when it is.</summary>
// The agd verbs draw a progress display on the one console, which cannot show two at once.
[DoNotParallelize]
[TestClass]
public class NothingLostTests
{
    [TestMethod]
    public void AFailureWhileSavingLeavesTheEarlierModelReadable()
    {
        using var data = new TinyData();
        var (output, before) = ModelFolders.EarlierModel(data);
        double earlier = EvaluateJob.Run(new ModelFolder(output), data.Path("idx")).Accuracy;

        // A fault between the files of a save: model.zip written, the rest not.
        var folder = new ModelFolder(output);
        var e = Assert.ThrowsExactly<IOException>(() => folder.WriteWhole(staging =>
        {
            File.WriteAllBytes(staging.Model, [1, 2, 3]);
            throw new IOException("disk full (injected)");
        }));
        Assert.AreEqual("disk full (injected)", e.Message);
        ModelFolders.AssertUnchanged(before, output);
        Assert.AreEqual(earlier, EvaluateJob.Run(folder, data.Path("idx")).Accuracy);
        CollectionAssert.AreEqual(new[] { "model" }, Directory.GetFileSystemEntries(data.Root).Select(Path.GetFileName).Where(n => n!.Contains("model")).ToArray(),
            "No staging folder is left beside the model.");
    }

    [TestMethod]
    public void AWholeFolderTakesTheOldOnesPlaceInOneStep()
    {
        using var data = new TinyData();
        string target = Directory.CreateDirectory(data.Path("target")).FullName;
        File.WriteAllText(Path.Combine(target, "old.txt"), "old");
        string source = Directory.CreateDirectory(data.Path("source")).FullName;
        File.WriteAllText(Path.Combine(source, "new.txt"), "new");

        AtomicFolder.Replace(source, target);

        CollectionAssert.AreEqual(new[] { "new.txt" }, Directory.GetFiles(target).Select(Path.GetFileName).ToArray());
        CollectionAssert.AreEqual(new[] { "target" }, Directory.GetFileSystemEntries(data.Root).Select(Path.GetFileName).ToArray(), "The source is gone, and nothing is left beside.");
    }

    [TestMethod]
    [DataRow("file")]
    [DataRow("proc")]
    [DataRow("model.zip is a folder")]
    [DataRow("foreign file")]
    public void ABadOutputFolderFailsBeforeAnyDataIsRead(string kind)
    {
        using var data = new TinyData();
        string output = kind switch
        {
            "file" => data.Path("a-file"),
            "proc" => "/proc/agd-cannot-write-here/model",
            _ => data.Path("model"),
        };
        if (kind == "file")
            File.WriteAllText(output, "not a folder");
        if (kind == "model.zip is a folder")
            Directory.CreateDirectory(Path.Combine(output, "model.zip"));
        if (kind == "foreign file")
            File.WriteAllText(Path.Combine(Directory.CreateDirectory(output).FullName, "thesis.docx"), "a user's work");
        var before = kind is "model.zip is a folder" or "foreign file" ? ModelFolders.Snapshot(output) : null;

        // The data does not exist: an output check that ran after reading it would report the data instead.
        var settings = new TrainSettings { Data = new() { Folder = data.Path("no-such-data") }, Output = output };
        var e = Assert.ThrowsExactly<IOException>(() => TrainJob.Run(settings));
        StringAssert.Contains(e.Message, $"The output folder (-o) '{output}'");
        Assert.AreEqual(1, Program.Run(["train", "--data", data.Path("no-such-data"), "--output", output]));
        if (before is not null)
            ModelFolders.AssertUnchanged(before, output);
    }

    [TestMethod]
    public void EvaluateWithAFileAsItsOutputFolderFailsByName()
    {
        using var data = new TinyData();
        string model = ModelFolders.TrainTiny(data, data.Path("model"));
        string file = data.Path("a-file");
        File.WriteAllText(file, "not a folder");
        Assert.AreEqual(1, Program.Run(["evaluate", "--model", model, "--data", data.Path("idx"), "--output", file]));
    }

    [TestMethod]
    [DataRow("model.zip", "truncated")]
    [DataRow("model.zip", "garbage")]
    [DataRow("model.zip", "empty")]
    [DataRow("model.json", "not JSON")]
    [DataRow("model.json", "same pixel count, other shape")]
    [DataRow("model.json", "other classes")]
    public void ADamagedModelFolderIsNamedAsSuch(string file, string damage)
    {
        using var data = new TinyData();
        string output = ModelFolders.TrainTiny(data, data.Path("model"));
        string path = Path.Combine(output, file);
        byte[] bytes = File.ReadAllBytes(path);
        string json = File.ReadAllText(Path.Combine(output, "model.json"));
        switch (damage)
        {
            case "truncated": File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]); break;
            case "garbage": File.WriteAllBytes(path, Enumerable.Range(0, 5000).Select(i => (byte)(i * 7919)).ToArray()); break;
            case "empty": File.WriteAllBytes(path, []); break;
            case "not JSON": File.WriteAllText(path, "{ \"Architecture\": \"Fcn\", "); break;
            case "same pixel count, other shape": File.WriteAllText(path, json.Replace("\"Channels\": 1", "\"Channels\": 4").Replace("\"Height\": 8", "\"Height\": 4").Replace("\"Width\": 8", "\"Width\": 4")); break;
            default: File.WriteAllText(path, json.Replace("\"diagonal\"", "\"diagonal\", \"circle\"")); break;
        }
        CollectionAssert.AreNotEqual(bytes, File.ReadAllBytes(path), "the damage was applied");

        var folder = new ModelFolder(output);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => EvaluateJob.Run(folder, data.Path("idx")));
        StringAssert.Contains(e.Message, $"The model folder '{folder.Path}' is damaged: {file} cannot be used");
        StringAssert.Contains(e.Message, "Train the model again");
        string image = data.OneImage();
        Assert.ThrowsExactly<InvalidDataException>(() => PredictJob.Run(folder, [image], top: 1));
        Assert.AreEqual(1, Program.Run(["evaluate", "--model", output, "--data", data.Path("idx")]));
        Assert.AreEqual(1, Program.Run(["predict", "--model", output, image]));
    }

    [TestMethod]
    public void CompareChecksItsOptionsAsTrainDoes()
    {
        using var data = new TinyData();
        Assert.AreEqual(1, Program.Run(["compare", "--data", data.IdxFolder(), "--epochs", "0", "--output", data.Path("compare")]));
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new AgdImageClassificationTrainer.Options { NumberOfEpochs = 0 }.Validate());
        Assert.AreEqual("NumberOfEpochs", e.ParamName);
        Assert.AreEqual(1, Program.Run(["compare", "--data", data.IdxFolder(), "--test-fraction", "1.5", "--output", data.Path("compare")]));
        Assert.IsFalse(Directory.Exists(data.Path("compare")), "Nothing ran, so nothing was written.");
    }
}

using Microsoft.ML.Agd.Samples.Language;
namespace Microsoft.ML.Agd.Tests.Samples;

/// <summary>
/// What the third hostile pass found said in .NET's words, said in a user's: values an option cannot take, edited JSON
/// files, text and IDX files of another kind, an unusable TMPDIR, and a batch larger than a batch can be.
/// </summary>
[DoNotParallelize]
[TestClass]
public class PlainWordsTests
{
    [TestMethod]
    [DataRow("--architecture takes a name (fcn, resnet18, resnet34, resnet50), not 'banana'.", "train", "-a", "banana")]
    [DataRow("--batch-size takes a whole number, not 'abc'.", "train", "-b", "abc")]
    [DataRow("--epochs takes a whole number, not 'NaN'.", "train", "-e", "NaN")]
    [DataRow("--seed takes a whole number, and 9223372036854775807 is too large for it.", "train", "--seed", "9223372036854775807")]
    [DataRow("--batch-size takes a whole number, and -99999999999 is too small for it.", "train", "-b", "-99999999999")]
    [DataRow("--test-fraction takes a number such as 0.5, not 'abc'.", "train", "--test-fraction", "abc")]
    [DataRow("--budget takes a duration as hh:mm:ss, or d.hh:mm:ss with days (00:10:00 is ten minutes), not 'abc'.", "search", "--budget", "abc")]
    [DataRow("--losses takes a name (square, crossentropy), not 'hinge'.", "search", "--losses", "hinge")]
    public void AValueAnOptionCannotTakeIsSaidWithWhatItTakes(string expected, params string[] args)
    {
        using var data = new TinyData();
        var (code, printed) = Cli.Run([.. args, "--data", data.IdxFolder(), "-o", data.Path("out")]);
        Assert.AreEqual(1, code, printed);
        StringAssert.Contains(printed, $"error: {expected}");
        StringAssert.Contains(printed, $"'agd {args[0]} --help' lists the options.");
        Assert.IsFalse(printed.Contains("System.", StringComparison.Ordinal) || printed.Contains("Microsoft.ML", StringComparison.Ordinal), printed);
        Assert.IsFalse(Directory.Exists(data.Path("out")));
    }

    [TestMethod]
    [DataRow("{\"Format\": 1}", "it lacks the fields Data, ")]
    [DataRow("{\"Format\": 1, \"Extra\": 1}", "it has a field 'Extra' that agd does not write")]
    [DataRow("{\"Format\": 1,\n \"Seed\": 2147483648}", "its field Seed (line 2) is not a whole number")]
    [DataRow("{\"Format\": 1,\n \"Depth\": \"x\"}", "its field Depth (line 2) is not a whole number")]
    [DataRow("{\"Format\": 1,\n \"Data\": 5}", "its field Data (line 2) is not text in quotes")]
    [DataRow("{\"Format\": 1,\n \"KeepBestEpoch\": 5}", "its field KeepBestEpoch (line 2) is not true or false")]
    [DataRow("{\"Format\": 1,\n \"Loss\": 5}", "its field Loss (line 2) is not a name (")]
    [DataRow("{\"Format\": 1,\n \"DataLoading\": 5}", "its field DataLoading (line 2) is not a name (")]
    public void AnEditedRunFileIsNamedWithTheFieldThatIsWrong(string json, string expected)
    {
        using var data = new TinyData();
        File.WriteAllText(data.Path("run.json"), json);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => RunFile.Read<RunConfiguration>(data.Path("run.json"), "agd train"));
        StringAssert.Contains(e.Message, $"The run configuration '{data.Path("run.json")}' cannot be replayed: {expected}");
        Assert.IsFalse(e.Message.Contains("System.", StringComparison.Ordinal) || e.Message.Contains(".NET", StringComparison.Ordinal), e.Message);
    }

    [TestMethod]
    [DataRow(32, -3)]
    [DataRow(32, 5)]
    public void AnEditedImageShapeIsNamedWithItsOwnValues(int height, int width)
    {
        using var data = new TinyData();
        Assert.AreEqual(0, Cli.Run("train", "--data", data.IdxFolder(), "-e", "1", "--width", "8", "-o", data.Path("model")).Code);
        string run = File.ReadAllText(data.Path("model", "run.json"));
        var shape = System.Text.Json.Nodes.JsonNode.Parse(run)!;
        shape["ImageShape"]!["Height"] = height;
        shape["ImageShape"]!["Width"] = width;
        File.WriteAllText(data.Path("edited.json"), shape.ToJsonString());
        var (code, printed) = Cli.Run("train", "--config", data.Path("edited.json"), "-o", data.Path("again"));
        Assert.AreEqual(1, code, printed);
        StringAssert.Contains(Cli.Unwrapped(printed), $"cannot be replayed: its ImageShape has Height {height} and Width {width}, and agd train writes images' size as one positive number (--image-size).");
    }

    [TestMethod]
    public void ARunFileOfTheOtherVerbNamesTheVerbThatReplaysIt()
    {
        using var data = new TinyData();
        File.WriteAllText(data.Path("lm.json"), "{\"Format\": 1, \"Text\": \"t.txt\"}");
        File.WriteAllText(data.Path("image.json"), "{\"Format\": 1, \"Data\": \"d\"}");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => RunConfiguration.Read(data.Path("lm.json")));
        StringAssert.Contains(e.Message, "is the run.json of agd lm train, not of agd train: replay it with agd lm train --config.");
        e = Assert.ThrowsExactly<InvalidDataException>(() => Microsoft.ML.Agd.Samples.Language.LanguageModelConfiguration.Read(data.Path("image.json")));
        StringAssert.Contains(e.Message, "is the run.json of agd train, not of agd lm train: replay it with agd train --config.");
    }

    [TestMethod]
    [DataRow("", "it is empty.")]
    [DataRow("[]", "it is not an object of named fields, as agd writes it (line 1).")]
    [DataRow("{\"Height\": \"28\"}", "its field Height (line 1) is not what agd writes there.")]
    [DataRow("{\"ClassNames\": \"x\"}", "its field ClassNames (line 1) is not a list in brackets.")]
    public void AnEditedModelJsonIsNamedByWhatIsWrong(string json, string expected)
    {
        using var data = new TinyData();
        Directory.CreateDirectory(data.Path("m"));
        File.WriteAllBytes(data.Path("m", "model.zip"), [1]);
        File.WriteAllText(data.Path("m", "model.json"), json);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => new ModelFolder(data.Path("m")).ReadInfo());
        StringAssert.Contains(e.Message, $"model.json cannot be used because {expected}");
        Assert.IsFalse(e.Message.Contains("Microsoft.", StringComparison.Ordinal) || e.Message.Contains("System.", StringComparison.Ordinal), e.Message);
    }

    [TestMethod]
    public void AModelJsonOfAnotherImageShapeIsSaidInImageShapes()
    {
        using var data = new TinyData();
        string model = ModelFolders.TrainTiny(data, data.Path("m"), epochs: 1);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(model, "model.json")))!;
        json["Channels"] = 3;
        File.WriteAllText(Path.Combine(model, "model.json"), json.ToJsonString());
        var folder = new ModelFolder(model, "-m");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => folder.Load(new Microsoft.ML.MLContext(), folder.ReadInfo()));
        StringAssert.Contains(e.Message, "it says the model reads 3x8x8 images, but model.zip reads 1x8x8 images: the two files are from different models or were edited");
    }

    [TestMethod]
    public void IdxFilesThatAreLinksToNothingOrNotGzipAreNamedSo()
    {
        using var data = new TinyData();
        string folder = data.IdxFolder();
        string images = Path.Combine(folder, "train-images-idx3-ubyte");
        using (var inflated = new MemoryStream())
        {
            using (var gzip = new System.IO.Compression.GZipStream(File.OpenRead(images + ".gz"), System.IO.Compression.CompressionMode.Decompress))
                gzip.CopyTo(inflated);
            File.WriteAllBytes(images + ".gz", inflated.ToArray()); // an uncompressed IDX file named .gz
        }
        var (code, printed) = Cli.Run("train", "--data", folder, "-e", "1", "-o", data.Path("a"));
        Assert.AreEqual(1, code, printed);
        StringAssert.Contains(Cli.Unwrapped(printed), $"'{images}.gz' is not gzip data (it does not start with 1F 8B); if it is an uncompressed IDX file, drop the .gz from its name.");

        File.Delete(images + ".gz");
        File.CreateSymbolicLink(images + ".gz", data.Path("nowhere"));
        (code, printed) = Cli.Run("train", "--data", folder, "-e", "1", "-o", data.Path("b"));
        Assert.AreEqual(1, code, printed);
        StringAssert.Contains(Cli.Unwrapped(printed), $"'{images}.gz' does not exist: it is a link to '{data.Path("nowhere")}', which does not.");
    }

    [TestMethod]
    public void DataLaidOutWronglyIsNamedByWhatIsWrong()
    {
        using var data = new TinyData();
        string images = data.ImageFolder(perClass: 4);
        var (code, printed) = Cli.Run("train", "--data", images, "--test-fraction", "0.99", "-e", "1", "-o", data.Path("a"));
        Assert.AreEqual(1, code, printed);
        StringAssert.Contains(Cli.Unwrapped(printed), "--test-fraction 0.99 holds out all 4 images of class ");
        StringAssert.Contains(Cli.Unwrapped(printed), "leaving none to train on. Give a smaller --test-fraction, or more images.");
        string single = data.Path("one-each");
        foreach (string label in new[] { "cat", "dog", "fox" })
            File.Copy(data.OneImage(), Path.Combine(Directory.CreateDirectory(Path.Combine(single, label)).FullName, "only.png"));
        (code, printed) = Cli.Run("train", "--data", single, "-e", "1", "-o", data.Path("a"));
        Assert.AreEqual(1, code, printed);
        StringAssert.Contains(Cli.Unwrapped(printed), $"Every class of {single} has one image, so --test-fraction 0.2 holds none out for validation and testing. Give each class 2 images or more.");

        string cifar = DistributedDataTests.Cifar10(data);
        File.WriteAllBytes(Path.Combine(cifar, "test_batch.bin"), []);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => DataSets.Load(cifar, DataSets.DefaultImageShape, 0.2, 0));
        StringAssert.Contains(e.Message, $"'{Path.Combine(cifar, "test_batch.bin")}' is empty");

        string idx = data.IdxFolder();
        File.WriteAllText(Path.Combine(idx, "classes.txt"), "");
        e = Assert.ThrowsExactly<InvalidDataException>(() => DataSets.Load(idx, DataSets.DefaultImageShape, 0.2, 0));
        StringAssert.Contains(e.Message, $"'{Path.Combine(idx, "classes.txt")}' names no class; give one class name a line");

        Directory.CreateDirectory(data.Path("tv"));
        Directory.Move(images, data.Path("tv", "train"));
        File.WriteAllText(data.Path("tv", "val"), "");
        e = Assert.ThrowsExactly<InvalidDataException>(() => DataSets.Load(data.Path("tv"), DataSets.DefaultImageShape, 0.2, 0));
        StringAssert.Contains(e.Message, $"'{data.Path("tv", "val")}' is a file; a train/val folder's val is a folder with one sub-folder per class.");
    }

    [TestMethod]
    public void AUtf16TextWithoutItsMarkIsNotTrainedOnAsText()
    {
        using var data = new TinyData();
        File.WriteAllText(data.Path("t.txt"), "To be, or not to be, that is the question.\n", new System.Text.UnicodeEncoding(bigEndian: false, byteOrderMark: false));
        var (code, printed) = Cli.Run("lm", "train", "-t", data.Path("t.txt"), "--layers", "1", "--heads", "1", "--width", "16", "--context", "8", "-b", "2", "-i", "2", "-o", data.Path("lm"));
        Assert.AreEqual(1, code, printed);
        StringAssert.Contains(Cli.Unwrapped(printed), "holds a zero byte at offset 1, so it is not UTF-8 text: UTF-16 or UTF-32 without a byte-order mark");
    }

    [TestMethod]
    [DataRow("utf-16")]
    [DataRow("utf-32")]
    public void AUtf16OrUtf32TextIsToldToBeConvertedFromIt(string encoding)
    {
        using var data = new TinyData();
        var written = encoding == "utf-16" ? System.Text.Encoding.Unicode : System.Text.Encoding.UTF32; // little-endian, with their byte-order marks
        File.WriteAllText(data.Path("t.txt"), "To be, or not to be, that is the question.\n", written);
        var (code, printed) = Cli.Run("lm", "train", "-t", data.Path("t.txt"), "--layers", "1", "--heads", "1", "--width", "16", "--context", "8", "-b", "2", "-i", "2", "-o", data.Path("lm"));
        Assert.AreEqual(1, code, printed);
        string name = encoding.ToUpperInvariant();
        StringAssert.Contains(Cli.Unwrapped(printed), $"is {name} (it starts with {name}'s byte-order mark), not UTF-8. Convert it first, for example: iconv -f {encoding} -t utf-8 in.txt > out.txt.");
    }

    [TestMethod]
    public void ATemporaryFolderThatIsAFileIsSaidToBeOne()
    {
        using var data = new TinyData();
        File.WriteAllText(data.Path("plain.txt"), "");
        using (Cli.WithTemporaryFolder(data.Path("plain.txt")))
        {
            var e = Assert.ThrowsExactly<IOException>(RunTemporaryFolder.Enter);
            StringAssert.Contains(e.Message, "cannot be written: it is a file, not a folder; set TMPDIR to a folder.");
        }
    }

    [TestMethod]
    public void ABatchOverTheTwoGibibytesABatchIsReadIntoIsRefusedBeforeAnyImageIsDecoded()
    {
        // ResNet-18's weights do not grow with the images: 32 RGB images of 3000 x 3000 are 3.5 GB, which a span cannot
        // hold. The automatic batch starts with as many as fit (19 at most); a batch given as 32 is refused.
        Assert.AreEqual(19, TrainingMemory.FirstBatch(new AgdImageShape(3, 3000, 3000), new NetworkSize(0, 0)));
        using var data = new TinyData();
        var (code, printed) = Cli.Run("train", "--data", data.ImageFolder(perClass: 20), "-a", "resnet18", "--base-width", "2", "--image-size", "3000", "-b", "32", "-e", "1", "-o", data.Path("o"));
        Assert.AreEqual(1, code, printed);
        StringAssert.Contains(Cli.Unwrapped(printed), "more than the 2 GiB a batch is read into. Make --batch-size or the images smaller.");
    }

    [TestMethod]
    public void ABatchWhoseActivationsDoNotFitIsRefusedBeforeAnyImageIsDecoded()
    {
        // 16 images of 3000 x 3000 fit the 2 GiB they are read into, but ResNet-18 of base width 64 keeps about 9 GB of
        // activations for each (it was killed by the system before).
        using var data = new TinyData();
        var (code, printed) = Cli.Run("train", "--data", data.ImageFolder(perClass: 20), "-a", "resnet18", "--base-width", "64", "--image-size", "3000", "-b", "16", "-e", "1", "-o", data.Path("o"));
        Assert.AreEqual(1, code, printed);
        StringAssert.Matches(Cli.Unwrapped(printed), new System.Text.RegularExpressions.Regex(
            @"error: A batch of 16 images of 3x3000x3000 needs about [0-9.]+ GB in training \(the images and the network's activations\), and the network's weights [0-9.]+ MB, beside the [0-9.]+ [MG]B this process holds: more than this machine's [0-9.]+ GB of memory\. Make --batch-size, the images or the network smaller\."));
        Assert.IsFalse(Directory.Exists(data.Path("o")));
    }

    [TestMethod]
    public void AnAutomaticBatchThatCannotFitIsNotBlamedOnTheBatchSize()
    {
        // The automatic batch starts at two images (batch norms need two rows): when two do not fit, no batch size helps.
        using var data = new TinyData();
        var (code, printed) = Cli.Run("train", "--data", data.ImageFolder(perClass: 20), "-a", "resnet18", "--base-width", "64", "--image-size", "5000", "-e", "1", "-o", data.Path("o"));
        Assert.AreEqual(1, code, printed);
        StringAssert.Matches(Cli.Unwrapped(printed), new System.Text.RegularExpressions.Regex(
            @"error: A batch of 2 images of 3x5000x5000 needs about [0-9.]+ GB in training \(the images and the network's activations\), and the network's weights [0-9.]+ MB, beside the [0-9.]+ [MG]B this process holds: more than this machine's [0-9.]+ GB of memory\. Make the images or the network smaller\."));
        Assert.IsFalse(printed.Contains("--batch-size", StringComparison.Ordinal), printed);
    }

    [TestMethod]
    public void ADivergedRunIsAdvisedAsItsTokensCall()
    {
        // A character model on a small text for 2,147,483,647 iterations rose from 3.983 to 4.925 by iteration 10650, and
        // was told to use character tokens.
        var run = new LanguageModelRun("AGD", null, [new(0, 3.9, 3.983), new(5000, 1.2, 2.104), new(10650, 0.4, 4.925)], 0.002, Diverged: true);
        var characters = TextTokenizer.Create("char", "To be, or not to be");
        Assert.AreEqual("Training diverged by iteration 10650: the loss became NaN or infinite, or the validation loss rose above its start (3.983, now 4.925); " +
            "no model was written. Its validation loss was lowest (2.104) at iteration 5000: give --iterations 5000 or fewer, or train on more text.",
            LanguageModelCommand.Diverged(run, characters).Message);
        StringAssert.EndsWith(LanguageModelCommand.Diverged(run, TextTokenizer.Create("gpt2", "To be")).Message, "use --tokens char.");
        var never = run with { Curve = [new(0, 3.9, 3.983), new(10, double.NaN, double.NaN)] };
        StringAssert.EndsWith(LanguageModelCommand.Diverged(never, characters).Message, "never fell below its start: give a larger model (--width, --layers) or more text.");
    }
}

using System.Diagnostics;

namespace Microsoft.ML.Agd.Tests.Samples;

/// <summary>
/// Input as an attacker or an unlucky user gives it: sizes at their limits, headers that lie, data sets with a part
/// missing or of another shape, special files, names that repeat or are not UTF-8, and the folders tools leave behind.
/// Each is a named error or read as meant, never a hang, a crash or a silent wrong result.
/// </summary>
[DoNotParallelize]
[TestClass]
public class HostileInputTests
{
    private static void AssertNamed(int code, string printed, string expected)
    {
        Assert.AreEqual(1, code, printed);
        StringAssert.Contains(printed, expected);
        Assert.IsFalse(printed.Contains("   at ", StringComparison.Ordinal), $"a stack trace:\n{printed}");
    }

    [TestMethod]
    public void AFileThatCannotBeWrittenIsNamedInItsFolderAndTheEarlierFolderStays()
    {
        // A full disk fails the write of a file in the staging folder: the user is told of the file as in the folder asked for.
        using var data = new TinyData();
        string folder = data.Path("model");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "model.json"), "earlier");
        var e = Assert.ThrowsExactly<IOException>(() => OutputFolder.WriteWhole(folder, staging =>
            throw new IOException($"No space left on device : '{Path.Combine(staging, "model.onnx")}'")));
        Assert.AreEqual($"No space left on device : '{Path.Combine(folder, "model.onnx")}': '{folder}' was not written, and what it held is as it was. " +
            "Make room on its disk, or write elsewhere.", e.Message);
        Assert.AreEqual("earlier", File.ReadAllText(Path.Combine(folder, "model.json")));
        CollectionAssert.AreEqual(new[] { "model" }, Directory.GetFileSystemEntries(data.Root).Select(Path.GetFileName).ToArray(), "No staging folder is left.");
    }

    [TestMethod]
    [DataRow("--width", "2000000000", "An FCN of depth 3 and width 2000000000 would have")]
    [DataRow("--depth", "2147483647", "An FCN of depth 2147483647 and width 512 would have")]
    [DataRow("--base-width", "2000000000", "A ResNet18 of base width 2000000000 would have")]
    public void NetworksLargerThanMemoryAreNamedBeforeTheyAreBuilt(string option, string value, string expected)
    {
        using var data = new TinyData();
        string[] architecture = option == "--base-width" ? ["-a", "resnet18"] : [];
        var (code, printed) = Cli.Run(["train", "--data", data.IdxFolder(), .. architecture, option, value, "-o", data.Path("model")]);
        AssertNamed(code, printed, expected);
        StringAssert.Contains(printed, "of memory. Make ");
    }

    [TestMethod]
    [DataRow("--architecture takes a name (fcn, resnet18, resnet34, resnet50), not '7'.", "train", "-a", "7")]
    [DataRow("--loss takes a name (square, crossentropy), not '9'.", "train", "--loss", "9")]
    [DataRow("--losses takes a name (square, crossentropy), not '9'.", "search", "--losses", "9")]
    [DataRow("--architectures takes a name (fcn, resnet18, resnet34, resnet50), not 'fcn,resnet18'; give several separated by spaces.", "search", "--architectures", "fcn,resnet18")]
    [DataRow("error: --epochs must be positive. It was 0.", "train", "-e", "0")]
    [DataRow("error: --batch-size must be positive. It was -1.", "compare", "-b", "-1")]
    public void AValueThatIsNoOptionsIsNamedInTheCommandLinesWords(string expected, params string[] args)
    {
        using var data = new TinyData();
        var (code, printed) = Cli.Run([.. args, "--data", data.IdxFolder(), "-o", data.Path("out")]);
        AssertNamed(code, printed, expected);
        Assert.IsFalse(printed.Contains("(Parameter '", StringComparison.Ordinal), printed);
        Assert.IsFalse(Directory.Exists(data.Path("out")));
    }

    [TestMethod]
    public void NetworksAndImagesLargerThanMemoryAreNamedBeforeAnyIsBuiltOrDecoded()
    {
        using var data = new TinyData();
        var (code, printed) = Cli.Run("compare", "--data", data.IdxFolder(), "-e", "1", "--width", "2147483647", "-o", data.Path("c"));
        AssertNamed(code, printed, "An FCN of depth 3 and width 2147483647 would have");
        (code, printed) = Cli.Run("train", "--data", data.IdxFolder(), "-e", "1", "--network", "vgg16", "--base-width", "2147483647", "-o", data.Path("v"));
        AssertNamed(code, printed, "error: VGG-16 of base width 2147483647 would have");
        StringAssert.Contains(printed, "Make --base-width smaller.");
        // A network of a user's own, whose size is known only once built: libtorch's refusal to allocate it is named.
        var options = new AgdImageClassificationTrainer.Options { NetworkFactory = (shape, classes) => TorchSharp.torch.nn.Sequential(TorchSharp.torch.nn.Flatten(), TorchSharp.torch.nn.Linear(shape.Size, 1L << 40)) };
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => options.CreateNetwork(new AgdImageShape(1, 8, 8), 3));
        StringAssert.Contains(e.Message, "The network NetworkFactory builds for images of shape 1x8x8 needs more memory than this machine's");
        // Images decoded at 10000x10000 take 1.2 GB each, and an FCN on them terabytes: refused before the first is decoded.
        long before = GC.GetTotalAllocatedBytes(precise: true);
        (code, printed) = Cli.Run("train", "--data", data.ImageFolder(perClass: 4), "-e", "1", "--image-size", "10000", "-o", data.Path("i"));
        AssertNamed(code, Cli.Unwrapped(printed), "of memory. Make --width or the images smaller.");
        Assert.IsTrue(GC.GetTotalAllocatedBytes(precise: true) - before < 1L << 30, "no image was decoded at that size");
    }

    [TestMethod]
    public void AnOutputFolderThatIsTheCurrentFolderOrTooLongIsRefusedFirst()
    {
        using var data = new TinyData();
        string longName = data.Path(new string('a', 300));
        var (code, printed) = Cli.Run("train", "--data", data.IdxFolder(), "-e", "1", "-o", longName);
        AssertNamed(code, Cli.Unwrapped(printed), "The folder given to -o has a name of 300 bytes");
        Assert.IsFalse(printed.Contains("epoch 1", StringComparison.Ordinal) || printed.Contains("Trained on", StringComparison.Ordinal), "refused before training");
        string deep = data.Path([.. Enumerable.Repeat(new string('a', 240), 17), "x"]); // every name legal, the path over Linux's 4,096 bytes
        (code, printed) = Cli.Run("train", "--data", data.IdxFolder(), "-e", "1", "-o", deep);
        AssertNamed(code, Cli.Unwrapped(printed), "The folder given to -o has a path of ");
        Assert.IsFalse(printed.Contains("epoch 1", StringComparison.Ordinal) || printed.Contains("Trained on", StringComparison.Ordinal), "refused before training");
        (code, printed) = Cli.Run("evaluate", "-m", data.OneImage(), "--data", data.IdxFolder());
        AssertNamed(code, Cli.Unwrapped(printed), $"'{data.OneImage()}' is not a model folder");
        var current = Assert.ThrowsExactly<IOException>(() => OutputFolder.CheckWritable(Environment.CurrentDirectory, "-o", replaceable: true));
        StringAssert.Contains(current.Message, "is the current folder, or holds it: a new output replaces the whole folder");
        Assert.ThrowsExactly<IOException>(() => OutputFolder.CheckWritable(Path.GetDirectoryName(Environment.CurrentDirectory)!, "-o", replaceable: true));
        // The current folder reached through a link on the way ("lnk/here" with lnk a link to its parent) is still it.
        string link = data.Path("lnk");
        File.CreateSymbolicLink(link, Path.GetDirectoryName(Environment.CurrentDirectory)!);
        var throughLink = Assert.ThrowsExactly<IOException>(() => OutputFolder.CheckWritable(Path.Combine(link, Path.GetFileName(Environment.CurrentDirectory)), "-o", replaceable: true));
        StringAssert.Contains(throughLink.Message, "is the current folder, or holds it");
    }

    [TestMethod]
    public void ArgumentsThatAreNotUtf8AreRefusedNotRenamed()
    {
        using var data = new TinyData();
        // The shell passes the byte 0xFF; .NET reads it as U+FFFD, which names another folder.
        var start = new ProcessStartInfo("bash", ["-c", $"dotnet '{Cli.AgdDll}' train --data '{data.IdxFolder()}' -e 1 -o \"$0\"$'\\xff'", data.Path("out")]) { RedirectStandardError = true };
        using var agd = Process.Start(start)!;
        string error = agd.StandardError.ReadToEnd();
        agd.WaitForExit();
        Assert.AreEqual(1, agd.ExitCode, error);
        StringAssert.Contains(error, "holds bytes that are not UTF-8");
        Assert.AreEqual(0, Directory.GetDirectories(data.Root, "out*").Length);
    }

    [TestMethod]
    public void AMissingOrDamagedImageAndAnEmptyModelZipAreNamed()
    {
        using var data = new TinyData();
        string model = data.Path("model");
        Assert.AreEqual(0, Cli.Run("train", "--data", data.ImageFolder(perClass: 4), "-e", "1", "--width", "16", "--image-size", "8", "-o", model).Code);
        string link = data.Path("gone.png");
        File.CreateSymbolicLink(link, data.Path("nowhere.png"));
        var (code, printed) = Cli.Run("predict", "-m", model, link);
        AssertNamed(code, Cli.Unwrapped(printed), $"'{link}' does not exist: it is a link to '{data.Path("nowhere.png")}', which does not.");

        // evaluate names an image damaged past its header, as train does, not ML.NET's wrapper around the error.
        string images = data.ImageFolder(perClass: 4);
        string damaged = Directory.GetFiles(Directory.GetDirectories(images)[0])[0];
        var bytes = File.ReadAllBytes(damaged);
        bytes.AsSpan(43, bytes.Length - 60).Fill(0xAB); // the compressed pixels, past the header that train's and evaluate's listing check
        File.WriteAllBytes(damaged, bytes);
        (code, printed) = Cli.Run("evaluate", "-m", model, "--data", images, "-o", data.Path("ev"));
        AssertNamed(code, Cli.Unwrapped(printed), $"Image '{damaged}'");
        Assert.IsFalse(printed.Contains("Splitter/consolidator", StringComparison.Ordinal), printed);

        // An empty model.zip whose checksum was rewritten to match is damage, not a temporary folder's fault.
        File.WriteAllBytes(Path.Combine(model, "model.zip"), []);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(model, "model.json")))!;
        json["Sha256"]!["model.zip"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Array.Empty<byte>()));
        File.WriteAllText(Path.Combine(model, "model.json"), json.ToJsonString());
        (code, printed) = Cli.Run("evaluate", "-m", model, "--data", images, "-o", data.Path("ev2"));
        AssertNamed(code, Cli.Unwrapped(printed), "model.zip cannot be used because it is not a whole zip archive");
    }

    [TestMethod]
    public void SearchBudgetsTextsAndOneClassLabelsAreNamed()
    {
        using var data = new TinyData();
        var (code, printed) = Cli.Run("search", "--data", data.IdxFolder(), "--budget", "00:00:00", "-o", data.Path("s"));
        AssertNamed(code, printed, "error: The --budget must be positive. It was 00:00:00.");
        (code, printed) = Cli.Run("lm", "train", "-t", "", "-o", data.Path("lm"));
        AssertNamed(code, printed, "--text is empty; give it a UTF-8 file or a folder of them.");
        string idx = data.IdxFolder();
        string labels = Directory.GetFiles(idx, "train-labels*")[0];
        TinyData.Gzip(labels, [.. TinyData.BigEndian(0x801, 90), .. new byte[90]]);
        (code, printed) = Cli.Run("train", "--data", idx, "-e", "1", "-o", data.Path("m"));
        AssertNamed(code, Cli.Unwrapped(printed), $"'{labels}' gives every image the label 0: classification needs at least two classes.");
    }

    [TestMethod]
    public void AnImageSizeBeyondWhatAnImageMayHaveIsNamed()
    {
        using var data = new TinyData();
        var (code, printed) = Cli.Run("train", "--data", data.ImageFolder(perClass: 2), "--image-size", "100000", "-o", data.Path("model"));
        AssertNamed(code, printed, "Images of 100000x100000 pixels have more than the 100 million pixels an image may have; give a smaller --image-size.");
    }

    [TestMethod]
    [Timeout(60_000)]
    public void LanguageModelSizesAtIntsLimitAreNamedAtOnce()
    {
        using var data = new TinyData();
        string text = data.Path("text.txt");
        File.WriteAllText(text, string.Concat(Enumerable.Repeat("abcdefgh", 500)));
        foreach (var (option, value) in new[] { ("--context", "2000000000"), ("--width", "2000000000"), ("--layers", "2147483647"), ("--batch-size", "2147483647") })
        {
            var (code, printed) = Cli.Run("lm", "train", "--text", text, option, value, "-o", data.Path("lm"));
            AssertNamed(code, printed, option == "--batch-size" ? "for its activations, more than this machine's" : "with the copies training keeps, more than this machine's");
            StringAssert.Contains(printed, option == "--layers" ? "A GPT of 2147483647 layers" : option == "--context" ? "and context 2000000000 would" : value);
            Assert.IsFalse(printed.Contains("It was", StringComparison.Ordinal), $"the message says every size itself: {printed}");
        }
    }

    [TestMethod]
    public void ALongerGenerationThanAMillionTokensIsNamed()
    {
        foreach (string length in new[] { "2000000000", "0", "-1" })
        {
            var (code, printed) = Cli.Run("lm", "generate", "-m", TinyLanguageModel.Folder, "--prompt", "ab", "--length", length);
            AssertNamed(code, printed, "--length must be between 1 and 1,000,000 tokens.");
        }
    }

    [TestMethod]
    public void ATemperatureNearZeroGeneratesTheLikeliestTokensWhateverTheSeed()
    {
        string Generate(string temperature, string seed)
        {
            var (code, printed) = Cli.Run("lm", "generate", "-m", TinyLanguageModel.Folder, "--prompt", "ab", "--length", "30", "--temperature", temperature, "--seed", seed);
            Assert.AreEqual(0, code, printed);
            return printed.TrimEnd('\n');
        }
        string greedy = Generate("1e-300", "1");
        Assert.AreEqual(32, greedy.Length, greedy);
        Assert.AreEqual(greedy, Generate("1e-300", "2"), "at a temperature near zero only the likeliest token is drawn");
        Assert.AreEqual(32, Generate("1e308", "1").Length, "at a huge one, tokens are drawn about evenly");
        var (code, printed) = Cli.Run("lm", "generate", "-m", TinyLanguageModel.Folder, "--prompt", "ab", "--length", "3", "--temperature", "Infinity");
        AssertNamed(code, printed, "error: The temperature must be a positive, finite number (1 samples the model as it is; lower is more conservative). It was Infinity.");
    }

    [TestMethod]
    public void AByteOrderMarkIsNotPartOfALanguageModelsText()
    {
        using var data = new TinyData();
        string file = data.Path("bom.txt");
        File.WriteAllBytes(file, [0xEF, 0xBB, 0xBF, .. "hello"u8]);
        Assert.AreEqual("hello", Microsoft.ML.Agd.Samples.Language.TextCorpus.Read(file));
    }

    [TestMethod]
    public void ASearchBudgetBeyondATimersReachIsNamed()
    {
        using var data = new TinyData();
        var (code, printed) = Cli.Run("search", "--data", data.IdxFolder(), "--budget", "99999.00:00:00", "-o", data.Path("search"));
        AssertNamed(code, printed, "The --budget must be at most 24.20:31:23, the longest a timer that stops a trial can wait. It was 99999.00:00:00.");
    }

    [TestMethod]
    public void ABitmapWhoseHeaderClaimsAHugeImageIsRefusedBeforeItsPixelsAreAllocated()
    {
        using var data = new TinyData();
        string bmp = ClaimingBitmap(data.Path("huge.bmp"), 60000);

        long before = Process.GetCurrentProcess().PeakWorkingSet64;
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ImageDecoder.Decode(bmp, new AgdImageShape(1, 8, 8)));
        Assert.AreEqual($"Image '{bmp}' claims 60000x60000 pixels, more than the 100 million this reads; it is damaged, or scale it down first.", e.Message);
        Assert.IsTrue(Process.GetCurrentProcess().PeakWorkingSet64 - before < 1L << 30, "no gigabytes were allocated for it");
        Assert.ThrowsExactly<InvalidDataException>(() => ImageDecoder.Check(bmp));
    }

    // A 54-byte header for a side x side 24-bit image, and 2,400 bytes of pixels.
    private static string ClaimingBitmap(string path, int side)
    {
        var header = new List<byte> { (byte)'B', (byte)'M' };
        foreach (int value in new[] { 54 + 2400, 0, 54, 40, side, side })
            header.AddRange(BitConverter.GetBytes(value));
        header.AddRange([1, 0, 24, 0]);
        header.AddRange(new byte[24]);
        File.WriteAllBytes(path, [.. header, .. new byte[2400]]);
        return path;
    }

    [TestMethod]
    public void AnImageThatWouldNotFitInMemoryDecodedIsRefusedByItsHeader()
    {
        // 9000 x 9000 is within the 100 million pixels read, and 324 MB decoded: more than a process of 256 MB has left.
        using var data = new TinyData();
        foreach (string label in new[] { "a", "b" })
            ClaimingBitmap(Path.Combine(Directory.CreateDirectory(data.Path("images", label)).FullName, "big.bmp"), 9000);
        var (code, printed) = RunWithMemory(0x10000000, "train", "--data", data.Path("images"), "--image-size", "8", "-e", "1", "-o", data.Path("out"));
        Assert.AreEqual(1, code, printed);
        StringAssert.Contains(printed, $"Image '{data.Path("images", "a", "big.bmp")}' is 9000x9000 pixels, 324 MB decoded, more than is left of this machine's 268 MB of memory");
    }

    [TestMethod]
    public void AMemoryLimitBelowWhatTheProcessItselfHoldsAsksForMoreMemoryNotASmallerNetwork()
    {
        // 100 MB: less than the runtime and libtorch take before training (about 200 MB); the network of 1 MB is not the cause.
        using var data = new TinyData();
        var (code, printed) = RunWithMemory(100_000_000, "train", "--data", data.IdxFolder(), "--width", "16", "--depth", "2", "-e", "1", "-o", data.Path("out"));
        Assert.AreEqual(1, code, printed);
        StringAssert.Matches(Cli.Unwrapped(printed), new System.Text.RegularExpressions.Regex(@"beside the [0-9.]+ MB this process holds: more than this machine's 100 MB of memory\. " +
            @"Most of that is the process itself \(the \.NET runtime, libtorch and the data it holds\), not the network: give the process more memory \(raise the container's or the job's memory limit\)\."));
        Assert.IsFalse(Directory.Exists(data.Path("out")));
    }

    // Runs agd in a process whose runtime takes the machine's memory to be the bytes given, as in a container of that size.
    private static (int Code, string Printed) RunWithMemory(long bytes, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet", [Cli.AgdDll, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["DOTNET_GCHeapHardLimit"] = $"0x{bytes:X}";
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + error.Result);
    }

    [TestMethod]
    public void AnIdxFileLongerThanItsHeaderCountsIsNamed()
    {
        // Two files joined, or a count edited down: training on the counted part would train on a guess.
        using var data = new TinyData();
        string folder = data.IdxFolder(), images = Path.Combine(folder, "train-images-idx3-ubyte.gz");
        byte[] content;
        using (var read = new System.IO.Compression.GZipStream(File.OpenRead(images), System.IO.Compression.CompressionMode.Decompress))
        using (var copy = new MemoryStream())
        {
            read.CopyTo(copy);
            content = copy.ToArray();
        }
        using (var write = new System.IO.Compression.GZipStream(File.Create(images), System.IO.Compression.CompressionLevel.Fastest))
            write.Write([.. content, .. new byte[5000]]);
        var (code, printed) = Cli.Run("train", "--data", folder, "-e", "1", "-o", data.Path("out"));
        AssertNamed(code, Cli.Unwrapped(printed), $"'{images}' holds more bytes after the ");
        StringAssert.Contains(Cli.Unwrapped(printed), "its count is wrong, or files were joined.");
    }

    [TestMethod]
    public void IdxTestImagesOfAnotherShapeThanTheTrainingImagesAreNamed()
    {
        using var data = new TinyData();
        string folder = data.IdxFolder();
        string testImages = Path.Combine(folder, "t10k-images-idx3-ubyte.gz");
        // 30 test images of 4 x 16: as many pixels as 8 x 8, another shape.
        TinyData.Gzip(testImages, [.. TinyData.BigEndian(0x803, 30, 4, 16), .. new byte[30 * 64]]);
        var (code, printed) = Cli.Run("train", "--data", folder, "--epochs", "1", "-o", data.Path("model"));
        AssertNamed(code, printed, $"'{testImages}' holds 4x16 images, but '{Path.Combine(folder, "train-images-idx3-ubyte.gz")}' holds 8x8");
        Assert.IsFalse(Directory.Exists(data.Path("model")));
    }

    [TestMethod]
    public void ACifar10FolderMissingATrainingBatchIsNamed()
    {
        using var data = new TinyData();
        string folder = Directory.CreateDirectory(data.Path("cifar-10-batches-bin")).FullName;
        byte[] record = new byte[3073];
        foreach (string batch in new[] { "data_batch_1.bin", "data_batch_2.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin" })
            File.WriteAllBytes(Path.Combine(folder, batch), record);
        File.WriteAllLines(Path.Combine(folder, "batches.meta.txt"), ["airplane", "automobile"]);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => DataSets.Load(folder, DataSets.DefaultImageShape, 0.2, 0));
        Assert.AreEqual($"'{folder}' holds CIFAR-10 training batches but no data_batch_3.bin; unpack the whole CIFAR-10 binary archive into the folder.", e.Message);
    }

    [TestMethod]
    public void AClassNameGivenTwiceIsNamedWithItsLines()
    {
        using var data = new TinyData();
        string folder = data.IdxFolder();
        string names = Path.Combine(folder, "classes.txt");
        File.WriteAllLines(names, ["horizontal", "vertical", "", "horizontal"]);
        var (code, printed) = Cli.Run("train", "--data", folder, "-o", data.Path("model"));
        AssertNamed(code, printed, $"'{names}' names the class 'horizontal' on lines 1 and 4; each class needs a name of its own");
    }

    [TestMethod]
    public void AByteOrderMarkAndWindowsLineEndsAreNotPartOfTheNames()
    {
        using var data = new TinyData();
        string folder = data.IdxFolder();
        File.WriteAllBytes(Path.Combine(folder, "classes.txt"), [0xEF, 0xBB, 0xBF, .. System.Text.Encoding.UTF8.GetBytes("horizontal\r\nvertical\r\ndiagonal\r\n")]);
        var (train, _) = DataSets.Load(folder, DataSets.DefaultImageShape, 0.2, 0);
        CollectionAssert.AreEqual(SyntheticImages.Classes, train.ClassNames.ToArray());
    }

    [TestMethod]
    public void FoldersAndFilesThatToolsLeaveAreNotClassesOrImages()
    {
        using var data = new TinyData();
        string folder = data.ImageFolder(perClass: 3);
        var expected = ImageFolder.Load(folder, new AgdImageShape(1, 8, 8));
        string png = ImageFolder.Files(Path.Combine(folder, "vertical"))[0];
        foreach (string tool in new[] { ".ipynb_checkpoints", "__MACOSX", ".git" })
            File.Copy(png, Path.Combine(Directory.CreateDirectory(Path.Combine(folder, tool)).FullName, "x.png"));
        File.WriteAllBytes(Path.Combine(folder, "vertical", "._0.png"), [0, 5, 22, 7]); // macOS's AppleDouble file: not an image
        var loaded = ImageFolder.Load(folder, new AgdImageShape(1, 8, 8));
        CollectionAssert.AreEqual(expected.ClassNames.ToArray(), loaded.ClassNames.ToArray());
        Assert.AreEqual(expected.Rows.Count, loaded.Rows.Count);
    }

    [TestMethod]
    public void AFileNameThatIsNotUtf8IsNamed()
    {
        using var data = new TinyData();
        string folder = data.ImageFolder(perClass: 3);
        // Latin-1 "é" (byte E9) in a file name: not UTF-8, so .NET cannot open it by the name it reads.
        Assert.AreEqual(0, Shell($"cp '{ImageFolder.Files(Path.Combine(folder, "vertical"))[0]}' \"{Path.Combine(folder, "vertical")}/caf$(printf '\\351').png\""));
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ImageFolder.Load(folder, new AgdImageShape(1, 8, 8)));
        StringAssert.Contains(e.Message, $"'{Path.Combine(folder, "vertical")}' holds an entry whose name is not UTF-8 (read as 'caf\uFFFD.png')");
        Assert.AreEqual(0, Shell($"rm \"{Path.Combine(folder, "vertical")}/caf$(printf '\\351').png\""), "removed as it was made: .NET cannot name it");
    }

    [TestMethod]
    [Timeout(60_000)]
    public void SpecialFilesAreNamedNotReadForever()
    {
        using var data = new TinyData();
        string model = ModelFolders.TrainTiny(data, data.Path("model"));
        string pipe = data.Path("pipe.png");
        Assert.AreEqual(0, Shell($"mkfifo '{pipe}'"));
        var (predicted, output) = Cli.Run("predict", "-m", model, pipe);
        AssertNamed(predicted, output, $"'{pipe}' is a named pipe (FIFO), not a regular file; give a file.");
        foreach (string text in new[] { pipe, "/dev/zero" })
        {
            var (code, printed) = Cli.Run("lm", "train", "--text", text, "-o", data.Path("lm"));
            AssertNamed(code, printed, text == pipe ? "is a named pipe (FIFO), not a regular file" : "'/dev/zero' is a character device, not a regular file");
        }
        string names = Path.Combine(data.Path("idx"), "classes.txt");
        File.Delete(names);
        Assert.AreEqual(0, Shell($"mkfifo '{names}'"));
        var (trained, said) = Cli.Run("train", "--data", data.Path("idx"), "-o", data.Path("model2"));
        AssertNamed(trained, said, $"'{names}' is a named pipe (FIFO)");
    }

    [TestMethod]
    public void ClassNamesThatAreNotUtf8AreNamedWithTheWayToConvertThem()
    {
        using var data = new TinyData();
        string folder = data.IdxFolder();
        string names = Path.Combine(folder, "classes.txt");
        File.WriteAllBytes(names, [.. "caf"u8, 0xE9, (byte)'\n', .. "vertical\ndiagonal\n"u8]);
        var (code, printed) = Cli.Run("train", "--data", folder, "-o", data.Path("model"));
        AssertNamed(code, printed, $"The text '{names}' is not UTF-8: the bytes at offset 3 (E9) are no UTF-8 character. Convert it first, for example: iconv -f latin1 -t utf-8 in.txt > out.txt.");
    }

    [TestMethod]
    public void ALinkThatLeadsRoundToItselfIsNamedSoNotCalledAFile()
    {
        using var data = new TinyData();
        string loop = data.Path("loop");
        File.CreateSymbolicLink(loop, loop);
        var (code, printed) = Cli.Run("train", "--data", loop, "-o", data.Path("model"));
        AssertNamed(code, printed, $"--data '{loop}' is a symbolic link that leads round to itself (too many levels of symbolic links)");
        (code, printed) = Cli.Run("train", "--data", data.IdxFolder(), "-o", Path.Combine(loop, "out"));
        AssertNamed(code, printed, $"lies under '{loop}', a symbolic link that leads round to itself (too many levels of symbolic links)");
    }

    [TestMethod]
    [Timeout(60_000)]
    public void TextPipedToStandardInputIsNamedAsAPipe()
    {
        using var data = new TinyData();
        var start = new ProcessStartInfo("bash", ["-c", $"echo 'to be or not to be' | dotnet {Cli.AgdDll} lm train -t /dev/stdin -o '{data.Path("lm")}'"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.AreEqual(1, process.ExitCode, output);
        StringAssert.Contains(Cli.Unwrapped(output), "'/dev/stdin' is a named pipe (FIFO), not a regular file; give a file.");
    }

    private static int Shell(string command)
    {
        using var process = Process.Start(new ProcessStartInfo("bash", ["-c", command]) { RedirectStandardError = true })!;
        process.WaitForExit();
        return process.ExitCode;
    }
}

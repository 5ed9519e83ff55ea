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
        AssertNamed(code, printed, "The Budget must be at most 24.20:31:23, the longest a timer that stops a trial can wait.");
    }

    [TestMethod]
    public void ABitmapWhoseHeaderClaimsAHugeImageIsRefusedBeforeItsPixelsAreAllocated()
    {
        using var data = new TinyData();
        string bmp = data.Path("huge.bmp");
        // A 54-byte header for a 60000 x 60000 24-bit image, and 2,400 bytes of pixels.
        var header = new List<byte> { (byte)'B', (byte)'M' };
        foreach (int value in new[] { 54 + 2400, 0, 54, 40, 60000, 60000 })
            header.AddRange(BitConverter.GetBytes(value));
        header.AddRange([1, 0, 24, 0]);
        header.AddRange(new byte[24]);
        File.WriteAllBytes(bmp, [.. header, .. new byte[2400]]);

        long before = Process.GetCurrentProcess().PeakWorkingSet64;
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ImageDecoder.Decode(bmp, new AgdImageShape(1, 8, 8)));
        Assert.AreEqual($"Image '{bmp}' claims 60000x60000 pixels, more than the 100 million this reads; it is damaged, or scale it down first.", e.Message);
        Assert.IsTrue(Process.GetCurrentProcess().PeakWorkingSet64 - before < 1L << 30, "no gigabytes were allocated for it");
        Assert.ThrowsExactly<InvalidDataException>(() => ImageDecoder.Check(bmp));
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

    private static int Shell(string command)
    {
        using var process = Process.Start(new ProcessStartInfo("bash", ["-c", command]) { RedirectStandardError = true })!;
        process.WaitForExit();
        return process.ExitCode;
    }
}

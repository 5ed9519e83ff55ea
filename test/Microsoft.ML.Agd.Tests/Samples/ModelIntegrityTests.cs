namespace Microsoft.ML.Agd.Tests.Samples;

/// <summary>A changed byte in a model folder is a named error, never different predictions.</summary>
[DoNotParallelize]
[TestClass]
public class ModelIntegrityTests
{
    private static (TinyData Data, string Model, string Image) Trained()
    {
        var data = new TinyData();
        string model = ModelFolders.TrainTiny(data, data.Path("model"));
        string image = data.Path("one.png");
        TinyData.WritePng(image, SyntheticImages.Vectors(1, 8, seed: 9)[0].Features, 8);
        return (data, model, image);
    }

    // The label and every class's score, as agd predict gives them.
    private static string Predict(string model, string image)
    {
        var p = PredictJob.Run(new ModelFolder(model, "-m"), [image], top: 3).Single();
        return $"{p.Label}: {string.Join(", ", p.Top.Select(t => $"{t.Class} {t.Score:R}"))}";
    }

    [TestMethod]
    public void BytesChangedInsideModelZipsOnnxEntryAreNamed()
    {
        var (data, model, image) = Trained();
        using var _ = data;
        string zip = Path.Combine(model, "model.zip");
        byte[] bytes = File.ReadAllBytes(zip);
        // 64 bytes in the middle of the largest entry (the network), whatever that does to the zip's own CRCs.
        using (var archive = System.IO.Compression.ZipFile.OpenRead(zip))
            Assert.IsTrue(archive.Entries.MaxBy(e => e.CompressedLength)!.FullName.Contains("Onnx", StringComparison.OrdinalIgnoreCase));
        for (int i = 0; i < 64; i++)
            bytes[bytes.Length / 2 + i] ^= 0x5A;
        File.WriteAllBytes(zip, bytes);

        var e = Assert.ThrowsExactly<InvalidDataException>(() => Predict(model, image));
        StringAssert.Contains(e.Message, "model.zip cannot be used because its SHA-256 differs from the one model.json records");
        var (code, printed) = Cli.Run("evaluate", "-m", model, "--data", data.Path("idx"));
        Assert.AreEqual(1, code, printed);
    }

    [TestMethod]
    public void ClassNamesReorderedInModelJsonAreNamed()
    {
        var (data, model, image) = Trained();
        using var _ = data;
        string json = Path.Combine(model, "model.json");
        string text = File.ReadAllText(json);
        string swapped = text.Replace("\"horizontal\"", "\"@\"").Replace("\"vertical\"", "\"horizontal\"").Replace("\"@\"", "\"vertical\"");
        Assert.AreNotEqual(text, swapped);
        File.WriteAllText(json, swapped);

        var e = Assert.ThrowsExactly<InvalidDataException>(() => Predict(model, image));
        StringAssert.Contains(e.Message, "model.json cannot be used because its ClassNames (vertical, horizontal, diagonal) differ from model.zip's labels (horizontal, vertical, diagonal)");
    }

    [TestMethod]
    public void HundredsOfRandomByteChangesEachEndInANamedErrorOrTheSamePredictions()
    {
        var (data, model, image) = Trained();
        using var _ = data;
        string intact = Predict(model, image);
        var random = new Random(20261130);
        int named = 0, same = 0;
        foreach (string file in new[] { "model.zip", "model.onnx", "model.json" })
        {
            string path = Path.Combine(model, file);
            byte[] original = File.ReadAllBytes(path);
            for (int trial = 0; trial < 100; trial++)
            {
                byte[] changed = (byte[])original.Clone();
                int at = random.Next(changed.Length);
                changed[at] ^= (byte)random.Next(1, 256);
                File.WriteAllBytes(path, changed);
                try
                {
                    Assert.AreEqual(intact, Predict(model, image), $"{file}: byte {at} changed, and the model loaded with other predictions");
                    same++;
                }
                catch (Exception e) when (e is InvalidDataException or DirectoryNotFoundException)
                {
                    StringAssert.Contains(e.Message, $"The model folder '{model}' is damaged", $"{file}: byte {at}");
                    named++;
                }
            }
            File.WriteAllBytes(path, original);
        }
        Assert.AreEqual(300, named + same);
        Assert.IsTrue(named >= 200, $"every change to model.zip and model.onnx is named ({named} named, {same} the same)");
    }
}

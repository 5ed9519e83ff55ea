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
        string image = data.OneImage();
        return (data, model, image);
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

        var e = Assert.ThrowsExactly<InvalidDataException>(() => ModelFolders.Predict(model, image));
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

        var e = Assert.ThrowsExactly<InvalidDataException>(() => ModelFolders.Predict(model, image));
        StringAssert.Contains(e.Message, "model.json cannot be used because its ClassNames (vertical, horizontal, diagonal) differ from model.zip's labels (horizontal, vertical, diagonal)");
    }

    [TestMethod]
    public void HundredsOfRandomByteChangesEachEndInANamedErrorOrTheSamePredictions()
    {
        var (data, model, image) = Trained();
        using var _ = data;
        string intact = ModelFolders.Predict(model, image);
        var random = new Random(20261130);
        // model.zip and model.onnx are covered by their checksums: a few changes show it, each one named. model.json's
        // bytes take many paths (its JSON, its shape, its classes, its checksums): most changes go there, each named or harmless.
        foreach (var (file, count) in new[] { ("model.zip", 5), ("model.onnx", 5), ("model.json", 150) })
        {
            // A folder that loads must predict exactly as before; a damaged one is named.
            var (named, same) = ByteFuzz.Run<InvalidDataException>(Path.Combine(model, file), count, random,
                at => Assert.AreEqual(intact, ModelFolders.Predict(model, image), $"{file}: byte {at} changed, and the model loaded with other predictions"),
                (e, at) => StringAssert.Contains(e.Message, $"The model folder '{model}' is damaged", $"{file}: byte {at}"));
            if (file != "model.json")
                Assert.AreEqual(count, named, $"every change to {file} is named ({same} loaded)");
        }
    }
}

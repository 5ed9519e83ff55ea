namespace Microsoft.ML.Agd.Tests.Samples;

/// <summary>Images are decoded whole or refused by name; IDX labels are checked against the classes; every data error names what is wrong.</summary>
[DoNotParallelize]
[TestClass]
public class InputIntegrityTests
{
    private static readonly AgdImageShape s_grey8 = new(1, 8, 8);

    [TestMethod]
    [DataRow("half-way")]
    [DataRow("right after its header")]
    public void ATruncatedPngIsRefusedByNameInTrainingAndPrediction(string cut)
    {
        using var data = new TinyData();
        string folder = data.ImageFolder(perClass: 4);
        string image = ImageFolder.Files(Path.Combine(folder, "vertical"))[1];
        byte[] bytes = File.ReadAllBytes(image);
        File.WriteAllBytes(image, bytes[..(cut == "half-way" ? bytes.Length / 2 : 8 + 25)]); // the signature and the IHDR chunk

        var (code, printed) = Cli.Run("train", "--data", folder, "--epochs", "1", "--image-size", "8", "--grey", "-o", data.Path("model"));
        Assert.AreEqual(1, code, printed);
        // With only its header, SkiaSharp does not take the file for an image at all.
        StringAssert.Contains(printed, cut == "half-way"
            ? $"error: Image '{image}' is truncated: its data ends before its last row."
            : $"error: Image '{image}' could not be decoded: it is not a valid .png");
        Assert.IsFalse(Directory.Exists(data.Path("model")));

        File.Delete(image);
        string model = data.Path("model");
        Assert.AreEqual(0, Cli.Run("train", "--data", folder, "--epochs", "1", "--image-size", "8", "--grey", "-o", model).Code);
        File.WriteAllBytes(image, bytes[..(bytes.Length / 2)]);
        (code, printed) = Cli.Run("predict", "-m", model, image);
        Assert.AreEqual(1, code, printed);
        StringAssert.Contains(printed, $"error: Image '{image}' is truncated");
    }

    [TestMethod]
    public void AnIdxLabelOutsideTheClassesIsNamedWithItsFileAndIndex()
    {
        using var data = new TinyData();
        string folder = data.IdxFolder();
        string labels = Path.Combine(folder, "train-labels-idx1-ubyte.gz");
        var rows = SyntheticImages.Vectors(30, 8, seed: 1);
        var bytes = TinyData.BigEndian(0x801, rows.Count).Concat(rows.Select(r => (byte)Array.IndexOf(SyntheticImages.Classes, r.Label))).ToArray();
        bytes[8 + 17] = 200;
        TinyData.Gzip(labels, bytes);

        var named = Assert.ThrowsExactly<InvalidDataException>(() => DataSets.Load(folder, s_grey8, 0.2, 0));
        Assert.AreEqual($"'{labels}' has label 200 at index 17, but the data has 3 classes (labels 0 to 2, named in classes.txt). " +
                        "Correct the label, or name every class in classes.txt beside the files.", named.Message);

        File.Delete(Path.Combine(folder, "classes.txt"));
        var gap = Assert.ThrowsExactly<InvalidDataException>(() => DataSets.Load(folder, s_grey8, 0.2, 0));
        Assert.AreEqual($"'{labels}' has label 200 at index 17, but no image has labels 3 to 199: a label is wrong, or classes have no images. " +
                        "Correct the label, or name every class in classes.txt beside the files.", gap.Message);
        Assert.AreEqual(1, Cli.Run("train", "--data", folder, "-o", data.Path("model")).Code);
    }

    [TestMethod]
    public void AnIdxFolderWithoutImagesIsNamed()
    {
        using var data = new TinyData();
        string folder = data.IdxFolder();
        TinyData.WriteIdx(folder, "train", []);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => DataSets.Load(folder, s_grey8, 0.2, 0));
        Assert.AreEqual($"'{Path.Combine(folder, "train-images-idx3-ubyte.gz")}' holds no images: its header counts 0.", e.Message);
    }

    [TestMethod]
    public void ATestClassTheTrainingLabelsNeverUseIsNamed()
    {
        using var data = new TinyData();
        string folder = data.IdxFolder();
        File.Delete(Path.Combine(folder, "classes.txt"));
        TinyData.WriteIdx(folder, "train", SyntheticImages.Vectors(10, 8, seed: 1).Where(r => r.Label != "diagonal").ToList());
        var e = Assert.ThrowsExactly<InvalidDataException>(() => DataSets.Load(folder, s_grey8, 0.2, 0));
        StringAssert.StartsWith(e.Message, $"'{Path.Combine(folder, "t10k-labels-idx1-ubyte.gz")}' has label 2 at index ");
        StringAssert.Contains(e.Message, "but the data has 2 classes (labels 0 to 1, those the training labels use)");
        var (code, printed) = Cli.Run("train", "--data", folder, "-o", data.Path("model"));
        Assert.AreEqual(1, code, printed);
    }

    [TestMethod]
    public void AFileGivenAsDataAndAFolderGivenAsAnImageAreNamed()
    {
        using var data = new TinyData();
        File.WriteAllText(data.Path("pixels.csv"), "label,p0\n1,0\n");
        var (code, printed) = Cli.Run("train", "--data", data.Path("pixels.csv"), "-o", data.Path("model"));
        Assert.AreEqual(1, code, printed);
        StringAssert.Contains(printed, $"error: --data '{data.Path("pixels.csv")}' is a file; give a folder: an IDX folder");

        string model = ModelFolders.TrainTiny(data, data.Path("model"), epochs: 1);
        (code, printed) = Cli.Run("predict", "-m", model, data.Root);
        Assert.AreEqual(1, code, printed);
        StringAssert.Contains(printed, $"error: '{data.Root}' is a folder; give image files");
    }

    [TestMethod]
    public void RandomByteChangesToAnImageEndInANamedErrorOrTheIntactImagesResult()
    {
        using var data = new TinyData();
        string folder = data.ImageFolder(perClass: 3);
        string model = ModelFolders.TrainTiny(data, data.Path("model"), epochs: 1);
        string image = ImageFolder.Files(Path.Combine(folder, "diagonal"))[1];
        float[][] Read() => ImageFolder.Load(folder, s_grey8).Rows.Select(r => r.Features).ToArray();
        var intactRows = Read();
        string intactPrediction = ModelFolders.Predict(model, image);

        var (named, same) = ByteFuzz.Run<InvalidDataException>(image, 200, new Random(30), at =>
        {
            var rows = Read();
            for (int i = 0; i < rows.Length; i++)
                CollectionAssert.AreEqual(intactRows[i], rows[i], $"byte {at} changed: row {i} was read differently");
            Assert.AreEqual(intactPrediction, ModelFolders.Predict(model, image), $"byte {at} changed: predicted differently");
        }, (e, at) => StringAssert.Contains(e.Message, $"Image '{image}'", $"byte {at}"));
        Assert.AreEqual(200, named + same);
        Assert.IsTrue(named > 100, $"{named} named, {same} read the same");
    }
}

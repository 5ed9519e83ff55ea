namespace Microsoft.ML.Agd.Tests.Samples;

/// <summary>The seed's data sets as they are distributed: CIFAR-10 and CIFAR-100 binaries, and ImageNet-style train/val folders.</summary>
[TestClass]
public class DistributedDataTests
{
    private static readonly string[] s_cifar10Names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    // Record r of a file: its label bytes, then red = r + p, green = 2 r + p, blue = 3 r + p (mod 256) at pixel p: each plane tells itself apart.
    private static byte[] Records(int count, Func<int, byte[]> labels)
    {
        var bytes = new List<byte>();
        for (int r = 0; r < count; r++)
        {
            bytes.AddRange(labels(r));
            for (int plane = 1; plane <= 3; plane++)
                for (int p = 0; p < 1024; p++)
                    bytes.Add((byte)((plane * r + p) % 256));
        }
        return [.. bytes];
    }

    internal static string Cifar10(TinyData data)
    {
        string folder = data.Path("cifar-10-batches-bin");
        Directory.CreateDirectory(folder);
        for (int batch = 1; batch <= 5; batch++)
            File.WriteAllBytes(Path.Combine(folder, $"data_batch_{batch}.bin"), Records(6, r => [(byte)((r + batch) % 10)]));
        File.WriteAllBytes(Path.Combine(folder, "test_batch.bin"), Records(4, r => [(byte)(9 - r)]));
        File.WriteAllLines(Path.Combine(folder, "batches.meta.txt"), [.. s_cifar10Names, ""]);
        return folder;
    }

    [TestMethod]
    public void Cifar10RecordsReadAsRedGreenBluePlanesWithTheirNames()
    {
        using var data = new TinyData();
        var (train, test) = DataSets.Load(Cifar10(data), DataSets.DefaultImageShape, 0.2, 0);
        Assert.AreEqual(new AgdImageShape(3, 32, 32), train.Shape);
        CollectionAssert.AreEqual(s_cifar10Names, train.ClassNames.ToArray());
        Assert.AreEqual(30, train.Rows.Count);
        Assert.AreEqual(4, test.Rows.Count);
        // Batch 2, record 3: label (3 + 2) % 10 = 5, "dog".
        var row = train.Rows[6 + 3];
        Assert.AreEqual("dog", row.Label);
        float[] pixels = row.Features;
        for (int plane = 1; plane <= 3; plane++)
            foreach (int p in new[] { 0, 33, 1023 })
                Assert.AreEqual(((plane * 3 + p) % 256) / 255f, pixels[(plane - 1) * 1024 + p], $"plane {plane}, pixel {p}");
        CollectionAssert.AreEqual(new[] { "truck", "ship", "horse", "frog" }, test.Rows.Select(r => r.Label).ToArray());
        // evaluate reads the test batch.
        Assert.AreEqual(4, DataSets.LoadForEvaluation(data.Path("cifar-10-batches-bin"), DataSets.DefaultImageShape).Rows.Count);
    }

    [TestMethod]
    public void Cifar100TakesTheFineLabelAndItsNames()
    {
        using var data = new TinyData();
        string folder = data.Path("cifar-100-binary");
        Directory.CreateDirectory(folder);
        // Coarse label 19 - r (which names no fine class beyond 4), fine label r % 5.
        File.WriteAllBytes(Path.Combine(folder, "train.bin"), Records(7, r => [(byte)(19 - r), (byte)(r % 5)]));
        File.WriteAllBytes(Path.Combine(folder, "test.bin"), Records(2, r => [0, (byte)(4 - r)]));
        File.WriteAllLines(Path.Combine(folder, "fine_label_names.txt"), ["apple", "aquarium_fish", "baby", "bear", "beaver"]);
        var (train, test) = DataSets.Load(folder, DataSets.DefaultImageShape, 0.2, 0);
        CollectionAssert.AreEqual(new[] { "apple", "aquarium_fish", "baby", "bear", "beaver", "apple", "aquarium_fish" }, train.Rows.Select(r => r.Label).ToArray());
        CollectionAssert.AreEqual(new[] { "beaver", "bear" }, test.Rows.Select(r => r.Label).ToArray());
        Assert.AreEqual((2 * 6 + 1000) % 256 / 255f, train.Rows[6].Features[1024 + 1000], "record 6, green plane, pixel 1000");
    }

    [TestMethod]
    public void ATruncatedRecordAWrongLabelAndAMissingNamesFileAreNamed()
    {
        using var data = new TinyData();
        string folder = Cifar10(data);
        string batch = Path.Combine(folder, "data_batch_2.bin");
        byte[] whole = File.ReadAllBytes(batch);
        File.WriteAllBytes(batch, whole[..(3 * 3073 + 100)]);
        var truncated = Assert.ThrowsExactly<InvalidDataException>(() => DataSets.Load(folder, DataSets.DefaultImageShape, 0.2, 0));
        StringAssert.Contains(truncated.Message, $"'{batch}' is truncated: its 9319 bytes end 100 bytes into record 3 (CIFAR-10 records are 3073 bytes: 1 label byte, then 3,072 pixels)");

        whole[4 * 3073] = 10; // record 4's label
        File.WriteAllBytes(batch, whole);
        var label = Assert.ThrowsExactly<InvalidDataException>(() => DataSets.Load(folder, DataSets.DefaultImageShape, 0.2, 0));
        StringAssert.Contains(label.Message, $"'{batch}' has label 10 at record 4, but batches.meta.txt names 10 classes (labels 0 to 9)");

        File.Delete(Path.Combine(folder, "batches.meta.txt"));
        var names = Assert.ThrowsExactly<InvalidDataException>(() => DataSets.Load(folder, DataSets.DefaultImageShape, 0.2, 0));
        StringAssert.Contains(names.Message, "holds CIFAR-10 batches but no batches.meta.txt, which names the classes");
    }

    [TestMethod]
    public void ATrainValFolderKeepsItsOwnSplit()
    {
        using var data = new TinyData();
        string images = data.ImageFolder(perClass: 5), root = data.Path("imagenet-style");
        var classes = Directory.GetDirectories(images).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        foreach (string name in classes!)
        {
            var files = Directory.GetFiles(Path.Combine(images, name!)).Order(StringComparer.Ordinal).ToList();
            foreach (var (split, part) in new[] { ("train", files[..3]), ("val", files[3..]) })
            {
                Directory.CreateDirectory(Path.Combine(root, split, name!));
                foreach (string file in part)
                    File.Copy(file, Path.Combine(root, split, name!, Path.GetFileName(file)));
            }
        }
        // --test-fraction does not enter: the folders are the split.
        var (train, test) = DataSets.Load(root, new AgdImageShape(1, 8, 8), testFraction: 0.5, seed: 0);
        Assert.AreEqual(3 * classes.Count, train.Rows.Count);
        Assert.AreEqual(2 * classes.Count, test.Rows.Count);
        CollectionAssert.AreEqual(classes, train.ClassNames.ToList());
        CollectionAssert.AreEqual(classes, test.ClassNames.ToList());
        Assert.AreEqual(2 * classes.Count, DataSets.LoadForEvaluation(root, new AgdImageShape(1, 8, 8)).Rows.Count);

        // A val/ class that train/ lacks is named.
        Directory.CreateDirectory(Path.Combine(root, "val", "zebra"));
        File.Copy(Directory.GetFiles(Path.Combine(root, "val", classes[0]!))[0], Path.Combine(root, "val", "zebra", "z.png"));
        var e = Assert.ThrowsExactly<InvalidDataException>(() => DataSets.Load(root, new AgdImageShape(1, 8, 8), 0.2, 0));
        StringAssert.Contains(e.Message, "has class folder 'zebra' that");
        StringAssert.Contains(e.Message, "a model cannot be tested on a class it never saw");
    }
}

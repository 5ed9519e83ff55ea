namespace Microsoft.ML.Agd.Tests.Samples;

[TestClass]
public class DataReaderTests
{
    [TestMethod]
    public void IdxReaderReadsWhatWasWritten()
    {
        using var data = new TinyData();
        string images = data.Path("images-idx3-ubyte"), labels = data.Path("labels-idx1-ubyte.gz");
        File.WriteAllBytes(images, [.. TinyData.BigEndian(0x803, 2, 2, 3), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        TinyData.Gzip(labels, [.. TinyData.BigEndian(0x801, 2), 7, 3]);
        var (pixels, height, width) = IdxReader.ReadImages(images);
        Assert.AreEqual((2, 3), (height, width));
        CollectionAssert.AreEqual(new byte[] { 7, 8, 9, 10, 11, 12 }, pixels[1]);
        CollectionAssert.AreEqual(new byte[] { 7, 3 }, IdxReader.ReadLabels(labels));
    }

    [TestMethod]
    public void TruncatedIdxFileIsReportedWithItsName()
    {
        using var data = new TinyData();
        string images = data.Path("train-images-idx3-ubyte");
        File.WriteAllBytes(images, [.. TinyData.BigEndian(0x803, 5, 2, 2), 1, 2, 3]);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => IdxReader.ReadImages(images));
        StringAssert.Contains(e.Message, "is truncated");
        StringAssert.Contains(e.Message, images);
        string labels = data.Path("labels");
        File.WriteAllBytes(labels, [0, 0]);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => IdxReader.ReadLabels(labels)).Message, "shorter than the 8-byte IDX header");
    }

    [TestMethod]
    public void AGzipFileIsInflatedOnlyAsFarAsItsHeaderPromisesAndOneByteBeyond()
    {
        using var data = new TinyData();
        // A "zip bomb": one 2x2 image promised, then 256 MB of zeros (a few hundred kilobytes compressed).
        string bomb = data.Path("train-images-idx3-ubyte.gz");
        using (var gzip = new System.IO.Compression.GZipStream(File.Create(bomb), System.IO.Compression.CompressionLevel.SmallestSize))
        {
            gzip.Write([.. TinyData.BigEndian(0x803, 1, 2, 2), 1, 2, 3, 4]);
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 256; i++)
                gzip.Write(zeros);
        }
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var bombed = Assert.ThrowsExactly<InvalidDataException>(() => IdxReader.ReadImages(bomb));
        Assert.AreEqual($"'{bomb}' holds more bytes after the 1 images of 2x2 its header counts (20 bytes): its count is wrong, or files were joined. Give the file as it was published.", bombed.Message);
        Assert.IsTrue(GC.GetTotalAllocatedBytes(precise: true) - before < 16 << 20, "the zeros beyond the promise are never read into memory");

        // A header that promises more than memory holds is named before anything is read.
        string huge = data.Path("t10k-images-idx3-ubyte.gz");
        TinyData.Gzip(huge, [.. TinyData.BigEndian(0x803, int.MaxValue, 28, 28), 1, 2, 3]);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => IdxReader.ReadImages(huge));
        StringAssert.Contains(e.Message, $"'{huge}': its header promises 2147483647 images of 28x28 (1683627179264 bytes), more than this program reads into memory");
    }

    [TestMethod]
    public void WrongMagicNumberIsReported()
    {
        using var data = new TinyData();
        string labels = data.Path("labels");
        File.WriteAllBytes(labels, [.. TinyData.BigEndian(0x803, 1), 1]);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => IdxReader.ReadLabels(labels)).Message, "magic number is 0x00000803, expected 0x00000801");
    }

    [TestMethod]
    public void ImageFolderDecodesEveryClassToTheShape()
    {
        using var data = new TinyData();
        var set = ImageFolder.Load(data.ImageFolder(perClass: 4), new AgdImageShape(3, 6, 6));
        Assert.AreEqual(12, set.Rows.Count);
        CollectionAssert.AreEqual(SyntheticImages.Classes.OrderBy(c => c, StringComparer.Ordinal).ToArray(), set.ClassNames.ToArray());
        Assert.IsTrue(set.Rows.All(r => r.Features.Length == 3 * 6 * 6 && r.Features.All(v => v is >= 0 and <= 1)));
        // Grey PNGs: the three colour planes are equal.
        var row = set.Rows[0].Features;
        CollectionAssert.AreEqual(row[..36], row[36..72]);
    }

    [TestMethod]
    public void MissingFolderEmptyClassAndCorruptImageAreReported()
    {
        using var data = new TinyData();
        var shape = new AgdImageShape(1, 8, 8);
        Assert.ThrowsExactly<DirectoryNotFoundException>(() => DataSets.Load(data.Path("nowhere"), shape, 0.2, 0));

        string folder = data.ImageFolder(perClass: 2);
        Directory.CreateDirectory(Path.Combine(folder, "empty"));
        var empty = Assert.ThrowsExactly<InvalidDataException>(() => ImageFolder.Load(folder, shape));
        StringAssert.Contains(empty.Message, "has no images");
        StringAssert.Contains(empty.Message, "empty");

        Directory.Delete(Path.Combine(folder, "empty"));
        string corrupt = Path.Combine(folder, "vertical", "broken.png");
        File.WriteAllBytes(corrupt, [1, 2, 3, 4, 5]);
        var bad = Assert.ThrowsExactly<InvalidDataException>(() => ImageFolder.Load(folder, shape));
        StringAssert.Contains(bad.Message, corrupt);
        StringAssert.Contains(bad.Message, "could not be decoded");
    }

    [TestMethod]
    public void SplitIsStratifiedAndSeeded()
    {
        using var data = new TinyData();
        var all = ImageFolder.Load(data.ImageFolder(perClass: 10), new AgdImageShape(1, 8, 8));
        var (train, test) = ImageFolder.Split(all, 0.2, seed: 4);
        Assert.AreEqual(24, train.Rows.Count);
        Assert.IsTrue(test.Rows.GroupBy(r => r.Label).All(g => g.Count() == 2));
        var (_, again) = ImageFolder.Split(all, 0.2, seed: 4);
        CollectionAssert.AreEqual(test.Rows.ToList(), again.Rows.ToList());
    }

}

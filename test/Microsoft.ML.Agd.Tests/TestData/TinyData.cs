using System.IO.Compression;
using SkiaSharp;

namespace Microsoft.ML.Agd.Tests.TestData;

/// <summary>Tiny IDX folders and image folders in a temporary directory, deleted on dispose.</summary>
internal sealed class TinyData : IDisposable
{
    public TinyData() => Root = Directory.CreateTempSubdirectory("agd-samples").FullName;

    public string Root { get; }

    public string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    /// <summary>An IDX folder with the synthetic patterns as 8x8 grey images, gzip-compressed like Fashion-MNIST's.</summary>
    public string IdxFolder(int perClassTrain = 30, int perClassTest = 10)
    {
        string folder = Path("idx");
        Directory.CreateDirectory(folder);
        WriteIdx(folder, "train", SyntheticImages.Vectors(perClassTrain, 8, seed: 1));
        WriteIdx(folder, "t10k", SyntheticImages.Vectors(perClassTest, 8, seed: 2));
        File.WriteAllLines(System.IO.Path.Combine(folder, "classes.txt"), SyntheticImages.Classes);
        return folder;
    }

    /// <summary>An image folder: one sub-folder of PNG files per class.</summary>
    public string ImageFolder(int perClass = 12)
    {
        string folder = Path("images");
        foreach (var row in SyntheticImages.Vectors(perClass, 8, seed: 3).Select((r, i) => (r, i)))
        {
            string classFolder = System.IO.Path.Combine(folder, row.r.Label);
            Directory.CreateDirectory(classFolder);
            WritePng(System.IO.Path.Combine(classFolder, $"{row.i}.png"), row.r.Features, 8);
        }
        return folder;
    }

    /// <summary>One 8x8 grey PNG of the synthetic patterns (one.png), as predict reads image files.</summary>
    public string OneImage()
    {
        string image = Path("one.png");
        WritePng(image, SyntheticImages.Vectors(1, 8, seed: 9)[0].Features, 8);
        return image;
    }

    public static void WritePng(string path, float[] grey, int size)
    {
        using var bitmap = new SKBitmap(size, size);
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                byte v = (byte)Math.Clamp(grey[y * size + x] * 255, 0, 255);
                bitmap.SetPixel(x, y, new SKColor(v, v, v));
            }
        using var file = File.Create(path);
        bitmap.Encode(file, SKEncodedImageFormat.Png, 100);
    }

    public static void WriteIdx(string folder, string prefix, IReadOnlyList<SyntheticImages.VectorRow> rows)
    {
        var images = new List<byte>(BigEndian(0x803, rows.Count, 8, 8));
        images.AddRange(rows.SelectMany(r => r.Features.Select(v => (byte)Math.Clamp(v * 255, 0, 255))));
        var labels = new List<byte>(BigEndian(0x801, rows.Count));
        labels.AddRange(rows.Select(r => (byte)Array.IndexOf(SyntheticImages.Classes, r.Label)));
        Gzip(System.IO.Path.Combine(folder, $"{prefix}-images-idx3-ubyte.gz"), images.ToArray());
        Gzip(System.IO.Path.Combine(folder, $"{prefix}-labels-idx1-ubyte.gz"), labels.ToArray());
    }

    public static byte[] BigEndian(params int[] values)
        => values.SelectMany(v => new[] { (byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v }).ToArray();

    public static void Gzip(string path, byte[] bytes)
    {
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        gzip.Write(bytes);
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

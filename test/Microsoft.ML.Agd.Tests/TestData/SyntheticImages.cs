using SkiaSharp;

namespace Microsoft.ML.Agd.Tests.TestData;

/// <summary>Small labelled image sets made on the fly: each class is a pattern (stripes of one orientation, or blobs) with noise.</summary>
internal static class SyntheticImages
{
    public static readonly string[] Classes = ["horizontal", "vertical", "diagonal"];

    public sealed class PathRow
    {
        public string ImagePath { get; set; } = "";
        public string Label { get; set; } = "";
    }

    public sealed class VectorRow
    {
        public float[] Features { get; set; } = [];
        public string Label { get; set; } = "";
    }

    /// <summary>Writes PNG files into <paramref name="folder"/> and returns their rows.</summary>
    public static List<PathRow> WritePngs(string folder, int perClass, int size, int seed)
    {
        var random = new Random(seed);
        var rows = new List<PathRow>();
        for (int c = 0; c < Classes.Length; c++)
            for (int i = 0; i < perClass; i++)
            {
                using var bitmap = new SKBitmap(size, size);
                var pixels = Pattern(c, size, random);
                for (int y = 0; y < size; y++)
                    for (int x = 0; x < size; x++)
                    {
                        byte v = (byte)Math.Clamp(pixels[y * size + x] * 255, 0, 255);
                        bitmap.SetPixel(x, y, new SKColor(v, (byte)(255 - v), (byte)(c * 80)));
                    }
                string path = Path.Combine(folder, $"{Classes[c]}_{i}.png");
                using (var file = File.Create(path))
                    bitmap.Encode(file, SKEncodedImageFormat.Png, 100);
                rows.Add(new PathRow { ImagePath = Path.GetFileName(path), Label = Classes[c] });
            }
        return rows.OrderBy(_ => random.Next()).ToList();
    }

    /// <summary>Rows of grey images as flat vectors of channels * size * size floats.</summary>
    public static List<VectorRow> Vectors(int perClass, int size, int seed, int channels = 1)
    {
        var random = new Random(seed);
        var rows = new List<VectorRow>();
        for (int c = 0; c < Classes.Length; c++)
            for (int i = 0; i < perClass; i++)
            {
                var grey = Pattern(c, size, random);
                rows.Add(new VectorRow { Features = Enumerable.Repeat(grey, channels).SelectMany(g => g).ToArray(), Label = Classes[c] });
            }
        return rows.OrderBy(_ => random.Next()).ToList();
    }

    private static float[] Pattern(int c, int size, Random random)
    {
        var pixels = new float[size * size];
        int phase = random.Next(4);
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                int t = c switch { 0 => y, 1 => x, _ => x + y };
                float stripe = ((t + phase) / 2 % 2 == 0) ? 0.8f : 0.2f;
                pixels[y * size + x] = stripe + (float)(random.NextDouble() - 0.5) * 0.3f;
            }
        return pixels;
    }
}

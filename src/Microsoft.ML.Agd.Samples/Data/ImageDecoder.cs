using SkiaSharp;

namespace Microsoft.ML.Agd.Samples.Data;

/// <summary>Decodes image files (PNG, JPEG, BMP, GIF, WebP) into the model's pixel vectors, with SkiaSharp (as ML.NET's image transforms do).</summary>
internal static class ImageDecoder
{
    /// <summary>File extensions read as images.</summary>
    public static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"];

    /// <summary>
    /// The most pixels an image may have: 100 million (a large camera's), 400 MB decoded. A header is checked against it
    /// before any pixel is allocated, so that a small file that claims a huge image is refused at once.
    /// </summary>
    public const long MaxPixels = 100_000_000;

    /// <summary>Checks that a file is an image SkiaSharp can decode, reading its header only (decoding comes later, as rows are read).</summary>
    /// <exception cref="InvalidDataException">The file is not a decodable image, or too large; the message names it.</exception>
    public static void Check(string path)
    {
        using var codec = Open(path);
    }

    // The file's codec, its header read and its size checked.
    private static SKCodec Open(string path)
    {
        if (path.Length == 0)
            throw new FileNotFoundException("An image's path is empty (''); give image files.", path);
        InputFile.CheckRegular(path); // a link to nothing or round to itself, a pipe, a device: each said as it is
        if (!File.Exists(path))
            throw new FileNotFoundException($"Image '{path}' does not exist.", path);
        var codec = SKCodec.Create(path) ?? throw Undecodable(path);
        var info = codec.Info;
        if ((long)info.Width * info.Height > MaxPixels)
        {
            codec.Dispose();
            throw new InvalidDataException($"Image '{path}' claims {info.Width}x{info.Height} pixels, more than the {MaxPixels / 1_000_000} million this reads; " +
                "it is damaged, or scale it down first.");
        }
        // Decoded (4 bytes a pixel) an image must fit beside what the process holds, or the system kills the process.
        double decoded = 4.0 * info.Width * info.Height;
        if (decoded > LargeImageBytes && TrainingMemory.InUse is var held && decoded > TrainingMemory.Available - held)
        {
            codec.Dispose();
            throw new InvalidDataException($"Image '{path}' is {info.Width}x{info.Height} pixels, {TrainingMemory.Size(decoded)} decoded, more than is left of " +
                $"{TrainingMemory.Memory} beside the {TrainingMemory.Size(held)} this process holds; scale it down first.");
        }
        return codec;
    }

    // Smaller images are not measured against memory: they fit anywhere agd runs.
    private const double LargeImageBytes = 64 << 20;

    private static InvalidDataException Undecodable(string path)
        => new($"Image '{path}' could not be decoded: it is not a valid {string.Join(", ", Extensions)} file. Remove or replace it.");

    /// <summary>Decodes, resizes to the shape and returns channel-major floats in [0, 1] (grey is the mean of R, G, B).</summary>
    /// <exception cref="InvalidDataException">The file is not a decodable image, or not a whole one; the message names it.</exception>
    public static float[] Decode(string path, AgdImageShape shape)
    {
        using var decoded = DecodeWhole(path);
        var info = new SKImageInfo(shape.Width, shape.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var resized = decoded.Resize(info, SKFilterQuality.High)
            ?? throw new InvalidDataException($"Image '{path}' could not be resized to {shape.Width}x{shape.Height}.");
        return ToPlanes(resized.GetPixelSpan(), shape);
    }

    // As SKBitmap.Decode does, except that an image whose data ends early (IncompleteInput, which SKBitmap.Decode
    // accepts, keeping the rows it read) or fails a check of its own (a PNG chunk's CRC, zlib's checksum) is refused.
    private static SKBitmap DecodeWhole(string path)
    {
        using var codec = Open(path);
        var info = codec.Info;
        if (info.AlphaType == SKAlphaType.Unpremul)
            info.AlphaType = SKAlphaType.Premul;
        info.ColorSpace = null;
        var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result == SKCodecResult.Success)
            return bitmap;
        bitmap.Dispose();
        throw new InvalidDataException(result == SKCodecResult.IncompleteInput
            ? $"Image '{path}' is truncated: its data ends before its last row. Remove or replace it."
            : $"Image '{path}' could not be decoded whole ({result}): it is damaged. Remove or replace it.");
    }

    private static float[] ToPlanes(ReadOnlySpan<byte> rgba, AgdImageShape shape)
    {
        int plane = shape.Height * shape.Width;
        var features = new float[shape.Channels * plane];
        for (int p = 0; p < plane; p++)
        {
            float r = rgba[4 * p] / 255f, g = rgba[4 * p + 1] / 255f, b = rgba[4 * p + 2] / 255f;
            if (shape.Channels == 1)
                features[p] = (r + g + b) / 3;
            else
            {
                features[p] = r;
                features[plane + p] = g;
                features[2 * plane + p] = b;
            }
        }
        return features;
    }
}

using SkiaSharp;

namespace Microsoft.ML.Agd.Samples.Data;

/// <summary>Decodes image files (PNG, JPEG, BMP, GIF, WebP) into the model's pixel vectors, with SkiaSharp (as ML.NET's image transforms do).</summary>
public static class ImageDecoder
{
    /// <summary>File extensions read as images.</summary>
    public static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"];

    /// <summary>Checks that a file is an image SkiaSharp can decode, reading its header only (decoding comes later, as rows are read).</summary>
    /// <exception cref="InvalidDataException">The file is not a decodable image; the message names it.</exception>
    public static void Check(string path)
    {
        using var codec = SKCodec.Create(path) ?? throw Undecodable(path);
    }

    private static InvalidDataException Undecodable(string path)
        => new($"Image '{path}' could not be decoded: it is not a valid {string.Join(", ", Extensions)} file. Remove or replace it.");

    /// <summary>Decodes, resizes to the shape and returns channel-major floats in [0, 1] (grey is the mean of R, G, B).</summary>
    /// <exception cref="InvalidDataException">The file is not a decodable image; the message names it.</exception>
    public static float[] Decode(string path, AgdImageShape shape)
    {
        using var decoded = SKBitmap.Decode(path) ?? throw Undecodable(path);
        var info = new SKImageInfo(shape.Width, shape.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var resized = decoded.Resize(info, SKFilterQuality.High)
            ?? throw new InvalidDataException($"Image '{path}' could not be resized to {shape.Width}x{shape.Height}.");
        return ToPlanes(resized.GetPixelSpan(), shape);
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

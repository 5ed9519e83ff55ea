using System.Buffers.Binary;
using System.IO.Compression;

namespace Microsoft.ML.Agd.Samples.Data;

/// <summary>Reads the IDX format of MNIST and Fashion-MNIST (optionally gzip-compressed): unsigned-byte images and labels.</summary>
internal static class IdxReader
{
    private const int ImagesMagic = 0x00000803;
    private const int LabelsMagic = 0x00000801;

    /// <summary>Reads an idx3-ubyte file: the images and their height and width.</summary>
    /// <exception cref="InvalidDataException">The file is not IDX images or is truncated; the message names the file.</exception>
    public static (byte[][] Images, int Height, int Width) ReadImages(string path)
    {
        var bytes = ReadAll(path);
        Header(bytes, path, ImagesMagic, 16, "images (idx3-ubyte)");
        int count = ReadInt(bytes, 4), height = ReadInt(bytes, 8), width = ReadInt(bytes, 12);
        if (count < 0 || height <= 0 || width <= 0)
            throw new InvalidDataException($"'{path}': invalid IDX dimensions {count} x {height} x {width}.");
        long expected = 16 + (long)count * height * width;
        if (bytes.Length < expected)
            throw new InvalidDataException($"'{path}' is truncated: its header promises {count} images of {height}x{width} ({expected} bytes) but the file has {bytes.Length} bytes.");
        int size = height * width;
        var images = new byte[count][];
        for (int i = 0; i < count; i++)
            images[i] = bytes.AsSpan(16 + i * size, size).ToArray();
        return (images, height, width);
    }

    /// <summary>Reads an idx1-ubyte file of labels.</summary>
    /// <exception cref="InvalidDataException">The file is not IDX labels or is truncated; the message names the file.</exception>
    public static byte[] ReadLabels(string path)
    {
        var bytes = ReadAll(path);
        Header(bytes, path, LabelsMagic, 8, "labels (idx1-ubyte)");
        int count = ReadInt(bytes, 4);
        if (count < 0 || bytes.Length < 8L + count)
            throw new InvalidDataException($"'{path}' is truncated: its header promises {count} labels but the file has {Math.Max(0, bytes.Length - 8)}.");
        return bytes.AsSpan(8, count).ToArray();
    }

    private static void Header(byte[] bytes, string path, int magic, int headerSize, string what)
    {
        if (bytes.Length < headerSize)
            throw new InvalidDataException($"'{path}' is truncated: {bytes.Length} bytes is shorter than the {headerSize}-byte IDX header.");
        int found = ReadInt(bytes, 0);
        if (found != magic)
            throw new InvalidDataException($"'{path}' is not IDX {what}: its magic number is 0x{found:X8}, expected 0x{magic:X8}.");
    }

    private static int ReadInt(byte[] bytes, int offset) => BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(offset, 4));

    private static byte[] ReadAll(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"IDX file '{path}' does not exist.", path);
        using var file = InputFile.OpenRead(path);
        Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var memory = new MemoryStream();
        try
        {
            stream.CopyTo(memory);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{path}' is not a valid gzip file: {e.Message}", e);
        }
        finally
        {
            if (stream != file) stream.Dispose();
        }
        return memory.ToArray();
    }
}

using System.Buffers.Binary;
using System.IO.Compression;

namespace Microsoft.ML.Agd.Samples.Data;

/// <summary>Reads the IDX format of MNIST and Fashion-MNIST (optionally gzip-compressed): unsigned-byte images and labels.</summary>
internal static class IdxReader
{
    private const int ImagesMagic = 0x00000803;
    private const int LabelsMagic = 0x00000801;

    /// <summary>Reads an idx3-ubyte file: the images and their height and width.</summary>
    /// <exception cref="InvalidDataException">The file is not IDX images, is truncated or promises more than memory holds; the message names the file.</exception>
    public static (byte[][] Images, int Height, int Width) ReadImages(string path)
    {
        int count = 0, height = 0, width = 0;
        var bytes = ReadAll(path, ImagesMagic, 16, "images (idx3-ubyte)", header =>
        {
            (count, height, width) = (ReadInt(header, 4), ReadInt(header, 8), ReadInt(header, 12));
            if (count < 0 || height <= 0 || width <= 0)
                throw new InvalidDataException($"'{path}': invalid IDX dimensions {count} x {height} x {width}.");
            return (16 + (long)count * height * width, $"{count} images of {height}x{width}");
        });
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
        int count = 0;
        var bytes = ReadAll(path, LabelsMagic, 8, "labels (idx1-ubyte)", header =>
        {
            count = ReadInt(header, 4);
            if (count < 0)
                throw new InvalidDataException($"'{path}': invalid IDX label count {count}.");
            return (8L + count, $"{count} labels");
        });
        return bytes.AsSpan(8, count).ToArray();
    }

    private static void Header(byte[] bytes, int length, string path, int magic, int headerSize, string what)
    {
        if (length < headerSize)
            throw new InvalidDataException($"'{path}' is truncated: {length} bytes is shorter than the {headerSize}-byte IDX header.");
        int found = ReadInt(bytes, 0);
        if (found != magic)
            throw new InvalidDataException($"'{path}' is not IDX {what}: its magic number is 0x{found:X8}, expected 0x{magic:X8}.");
    }

    private static int ReadInt(byte[] bytes, int offset) => BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(offset, 4));

    // Reads the header, then as many bytes as it promises and no more: a gzip file that inflates beyond that (a "zip bomb")
    // is never held whole, and a promise larger than an array or this machine's memory is named before it is read.
    private static byte[] ReadAll(string path, int magic, int headerSize, string what, Func<byte[], (long Length, string Promise)> promised)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"IDX file '{path}' does not exist.", path);
        using var file = InputFile.OpenRead(path);
        using var stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: true) : (Stream)new BufferedStream(file);
        try
        {
            var header = new byte[headerSize];
            int headerRead = stream.ReadAtLeast(header, headerSize, throwOnEndOfStream: false);
            Header(header, headerRead, path, magic, headerSize, what);
            var (length, promise) = promised(header);
            if (length > Array.MaxLength || length > GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2)
                throw new InvalidDataException($"'{path}': its header promises {promise} ({length} bytes), more than this program reads into memory " +
                    $"({Math.Min(Array.MaxLength, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2)} bytes). Give a smaller file, or split it.");
            using var memory = new MemoryStream();
            memory.Write(header);
            var buffer = new byte[1 << 16];
            while (memory.Length < length && stream.Read(buffer, 0, (int)Math.Min(buffer.Length, length - memory.Length)) is > 0 and var read)
                memory.Write(buffer, 0, read);
            if (memory.Length < length)
                throw new InvalidDataException($"'{path}' is truncated: its header promises {promise} ({length} bytes) but the file has {memory.Length} bytes.");
            // More than the header counts (one byte tells, and a zip bomb is not inflated further): a wrong count, or files
            // joined; training on a part would be training on a guess.
            if (stream.Read(buffer, 0, 1) > 0)
                throw new InvalidDataException($"'{path}' holds more bytes after the {promise} its header counts ({length} bytes): its count is wrong, or files were joined. Give the file as it was published.");
            return memory.ToArray();
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith($"'{path}'", StringComparison.Ordinal))
        {
            throw new InvalidDataException(IsGzip(path)
                ? $"'{path}' is damaged: its gzip data cannot be inflated. Download it again."
                : $"'{path}' is not gzip data (it does not start with 1F 8B); if it is an uncompressed IDX file, drop the .gz from its name.", e);
        }
    }

    private static bool IsGzip(string path)
    {
        using var file = File.OpenRead(path);
        return file.ReadByte() == 0x1F && file.ReadByte() == 0x8B;
    }
}

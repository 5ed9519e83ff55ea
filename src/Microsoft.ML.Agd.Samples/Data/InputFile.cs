using System.Runtime.InteropServices;
using System.Text;

namespace Microsoft.ML.Agd.Samples.Data;

/// <summary>
/// The files a verb reads, checked to be regular files before they are opened: reading a named pipe blocks until
/// something writes to it, and a device (/dev/zero, /dev/urandom) never ends. A link to a regular file is one.
/// </summary>
internal static partial class InputFile
{
    /// <summary>Checks that <paramref name="path"/> is a regular file, where the system can tell (Linux).</summary>
    /// <exception cref="FileNotFoundException">It is a link to nothing (File.Exists is true for one) or round to itself; the message says where it points.</exception>
    /// <exception cref="InvalidDataException">It is a pipe, a device, a socket or a folder; the message names it.</exception>
    public static void CheckRegular(string path)
    {
        // The kind first, through links: /dev/stdin leads to a pipe ('pipe:[...]'), which is no path.
        if (KindOf(path) is { } kind)
            throw new InvalidDataException($"'{path}' is {kind}, not a regular file; give a file.");
        if (new FileInfo(path).LinkTarget is { } target && File.ResolveLinkTarget(path, returnFinalTarget: true) is not { Exists: true })
            throw new FileNotFoundException(IsLinkLoop(path)
                ? $"'{path}' is a symbolic link that leads round to itself (too many levels of symbolic links, through '{target}'); point it at a file, or give the file."
                : $"'{path}' does not exist: it is a link to '{target}', which does not.", path);
    }

    /// <summary>Whether a path is a symbolic link that leads round to itself (following it fails with "too many levels of symbolic links").</summary>
    public static bool IsLinkLoop(string path)
    {
        if (path.Length == 0 || new FileInfo(path).LinkTarget is null)
            return false;
        try
        {
            // Opening it is what fails on a loop (ELOOP); .NET's own link resolution gives up quietly on a relative one.
            using var entries = Directory.EnumerateFileSystemEntries(path).GetEnumerator();
            entries.MoveNext();
            return false;
        }
        catch (IOException e) when (e.Message.Contains("Too many levels of symbolic links", StringComparison.Ordinal))
        {
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The bytes of a regular file.</summary>
    public static byte[] ReadAllBytes(string path)
    {
        CheckRegular(path);
        return File.ReadAllBytes(path);
    }

    /// <summary>The text of a regular file in UTF-8 (a byte-order mark first is not part of it).</summary>
    /// <exception cref="InvalidDataException">The file is UTF-16 or holds bytes that are no UTF-8 character; the message says where and how to convert it.</exception>
    public static string ReadAllText(string path)
    {
        byte[] bytes = ReadAllBytes(path);
        ReadOnlySpan<byte> mark = [0xEF, 0xBB, 0xBF];
        int start = bytes.AsSpan().StartsWith(mark) ? mark.Length : 0;
        if (bytes is [0xFF, 0xFE, 0, 0, ..] or [0, 0, 0xFE, 0xFF, ..])
            throw new InvalidDataException($"The text '{path}' is UTF-32 (it starts with UTF-32's byte-order mark), not UTF-8. " +
                "Convert it first, for example: iconv -f utf-32 -t utf-8 in.txt > out.txt.");
        if (bytes is [0xFF, 0xFE, ..] or [0xFE, 0xFF, ..])
            throw new InvalidDataException($"The text '{path}' is UTF-16 (it starts with UTF-16's byte-order mark), not UTF-8. " +
                "Convert it first, for example: iconv -f utf-16 -t utf-8 in.txt > out.txt.");
        if (bytes.AsSpan().IndexOf((byte)0) is var zero and >= 0) // UTF-8 text has none; UTF-16 without its mark has one every other byte
            throw new InvalidDataException($"The text '{path}' holds a zero byte at offset {zero}, so it is not UTF-8 text: UTF-16 or UTF-32 without a byte-order mark, or no text at all. " +
                "Convert it first, for example: iconv -f utf-16le -t utf-8 in.txt > out.txt.");
        try
        {
            return s_strict.GetString(bytes, start, bytes.Length - start);
        }
        catch (DecoderFallbackException e)
        {
            int at = start + Math.Max(e.Index, 0);
            throw new InvalidDataException($"The text '{path}' is not UTF-8: the bytes at offset {at} ({Convert.ToHexString(e.BytesUnknown ?? [])}) are no UTF-8 character. " +
                "Convert it first, for example: iconv -f latin1 -t utf-8 in.txt > out.txt.");
        }
    }

    // Its own preamble is empty: a byte-order mark is skipped above, not expected.
    private static readonly UTF8Encoding s_strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>A regular file, opened to read.</summary>
    public static FileStream OpenRead(string path)
    {
        CheckRegular(path);
        return File.OpenRead(path);
    }

    // What the path is when it is not a regular file, from statx (glibc 2.28 and later, any architecture: its layout is
    // fixed); null for a regular file, a path that does not exist (the open that follows says so) or another system.
    private static unsafe string? KindOf(string path)
    {
        if (!OperatingSystem.IsLinux())
            return null;
        const int AtCurrentDirectory = -100, TypeMask = 1, ModeOffset = 28;
        byte* buffer = stackalloc byte[256];
        try
        {
            if (Statx(AtCurrentDirectory, path, 0, TypeMask, buffer) != 0)
                return null;
        }
        catch (EntryPointNotFoundException)
        {
            return null;
        }
        return (*(ushort*)(buffer + ModeOffset) & 0xF000) switch
        {
            0x8000 => null,
            0x1000 => "a named pipe (FIFO)",
            0x2000 => "a character device",
            0x6000 => "a block device",
            0x4000 => "a folder",
            0xC000 => "a socket",
            _ => "not a regular file",
        };
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int directory, string path, int flags, uint mask, byte* buffer);
}

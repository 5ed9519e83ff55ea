using System.Runtime.InteropServices;

namespace Microsoft.ML.Agd.Samples.Data;

/// <summary>
/// The files a verb reads, checked to be regular files before they are opened: reading a named pipe blocks until
/// something writes to it, and a device (/dev/zero, /dev/urandom) never ends. A link to a regular file is one.
/// </summary>
internal static partial class InputFile
{
    /// <summary>Checks that <paramref name="path"/> is a regular file, where the system can tell (Linux).</summary>
    /// <exception cref="FileNotFoundException">It is a link to nothing (File.Exists is true for one); the message says where it points.</exception>
    /// <exception cref="InvalidDataException">It is a pipe, a device, a socket or a folder; the message names it.</exception>
    public static void CheckRegular(string path)
    {
        if (new FileInfo(path).LinkTarget is { } target && File.ResolveLinkTarget(path, returnFinalTarget: true) is not { Exists: true })
            throw new FileNotFoundException($"'{path}' does not exist: it is a link to '{target}', which does not.", path);
        if (KindOf(path) is { } kind)
            throw new InvalidDataException($"'{path}' is {kind}, not a regular file; give a file.");
    }

    /// <summary>The bytes of a regular file.</summary>
    public static byte[] ReadAllBytes(string path)
    {
        CheckRegular(path);
        return File.ReadAllBytes(path);
    }

    /// <summary>The text of a regular file (UTF-8, or as its byte-order mark says).</summary>
    public static string ReadAllText(string path)
    {
        CheckRegular(path);
        return File.ReadAllText(path);
    }

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

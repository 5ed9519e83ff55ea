using System.Runtime.InteropServices;

namespace Microsoft.ML.Agd.Samples.Jobs;

/// <summary>
/// Puts a folder written elsewhere in the place of another in one step, so that a kill at any moment leaves the old
/// folder or the new one, each whole. Linux swaps the two with renameat2(RENAME_EXCHANGE), atomically; where that is not
/// available (other systems, some file systems) the old folder is renamed aside first, leaving a window of microseconds
/// in which neither is in place (the old one stays beside it, named .NAME.old-*).
/// </summary>
public static partial class AtomicFolder
{
    private const int AtCurrentDirectory = -100, RenameExchange = 2;

    /// <summary>A fresh name beside <paramref name="folder"/> in the same parent, so that a rename between them is one step.</summary>
    public static string Beside(string folder, string purpose)
        => Path.Combine(Path.GetDirectoryName(folder)!, $".{Path.GetFileName(folder)}.{purpose}-{Guid.NewGuid():N}");

    /// <summary>Moves <paramref name="source"/> to <paramref name="target"/>, replacing what was there; <paramref name="source"/> is gone afterwards.</summary>
    public static void Replace(string source, string target)
    {
        if (!Directory.Exists(target))
        {
            Directory.Move(source, target);
            return;
        }
        if (OperatingSystem.IsLinux() && Exchange(source, target))
        {
            Directory.Delete(source, recursive: true); // now the old folder
            return;
        }
        string old = Beside(target, "old");
        Directory.Move(target, old);
        Directory.Move(source, target);
        Directory.Delete(old, recursive: true);
    }

    private static bool Exchange(string a, string b)
    {
        try
        {
            return RenameAt2(AtCurrentDirectory, a, AtCurrentDirectory, b, RenameExchange) == 0;
        }
        catch (EntryPointNotFoundException)
        {
            return false; // a C library without renameat2 (glibc before 2.28)
        }
    }

    [LibraryImport("libc", EntryPoint = "renameat2", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int RenameAt2(int oldDirectory, string oldPath, int newDirectory, string newPath, uint flags);
}

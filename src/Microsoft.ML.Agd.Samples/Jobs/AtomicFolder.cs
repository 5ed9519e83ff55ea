using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Microsoft.ML.Agd.Samples.Jobs;

/// <summary>
/// Puts a folder written elsewhere in the place of another in one step, so that a kill at any moment leaves the old
/// folder or the new one, each whole. Linux swaps the two with renameat2(RENAME_EXCHANGE), atomically; where that is not
/// available (other systems, some file systems) the old folder is renamed aside first, leaving a window of microseconds
/// in which neither is in place (the old one stays beside it, named .NAME.old-*).
/// </summary>
internal static partial class AtomicFolder
{
    private const int AtCurrentDirectory = -100, RenameExchange = 2;

    // The longest name, in UTF-8 bytes, that most file systems take (ext4, XFS: 255), less what a staging name adds
    // around the folder's: two dots, "staging-", a process id of up to 7 digits, a dash and 32 hex digits.
    private const int MaxName = 255, MaxFolderNameInStaging = MaxName - 50;

    /// <summary>
    /// A fresh name beside <paramref name="folder"/> in the same parent, so that a rename between them is one step. It
    /// carries this process's id, so that a later run can tell a killed run's leftovers from a live run's folders, and
    /// at most the first 205 bytes of the folder's name, so that it is a legal name wherever the folder's is.
    /// </summary>
    public static string Beside(string folder, string purpose)
        => Path.Combine(Path.GetDirectoryName(folder)!, $".{ShortName(folder)}.{purpose}-{Environment.ProcessId}-{Guid.NewGuid():N}");

    /// <summary>Deletes what runs that were killed left beside <paramref name="folder"/> (staging and old folders of processes no longer running).</summary>
    public static void CleanLeftovers(string folder)
    {
        if (Path.GetDirectoryName(folder) is { } parent)
            Leftovers.Delete(parent, new Regex($@"^\.{Regex.Escape(ShortName(folder))}\.(staging|old)-(?<pid>\d+)-[0-9a-f]{{32}}$"));
    }

    private static string ShortName(string folder)
    {
        string name = Path.GetFileName(folder);
        while (System.Text.Encoding.UTF8.GetByteCount(name) > MaxFolderNameInStaging)
            name = name[..^(char.IsLowSurrogate(name[^1]) ? 2 : 1)];
        return name;
    }

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
            Leftovers.TryDelete(source); // now the old folder
            return;
        }
        string old = Beside(target, "old");
        Directory.Move(target, old);
        Directory.Move(source, target);
        Leftovers.TryDelete(old); // the new folder is in place: one that cannot be deleted now is left for a later run
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

using System.Diagnostics;
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

    /// <summary>
    /// A fresh name beside <paramref name="folder"/> in the same parent, so that a rename between them is one step. It
    /// carries this process's id, so that a later run can tell a killed run's leftovers from a live run's folders.
    /// </summary>
    public static string Beside(string folder, string purpose)
        => Path.Combine(Path.GetDirectoryName(folder)!, $".{Path.GetFileName(folder)}.{purpose}-{Environment.ProcessId}-{Guid.NewGuid():N}");

    /// <summary>Deletes what runs that were killed left beside <paramref name="folder"/> (staging and old folders of processes no longer running).</summary>
    public static void CleanLeftovers(string folder)
    {
        string? parent = Path.GetDirectoryName(folder);
        if (parent is null || !Directory.Exists(parent))
            return;
        var leftover = new Regex($@"^\.{Regex.Escape(Path.GetFileName(folder))}\.(staging|old)-(\d+)-[0-9a-f]{{32}}$");
        foreach (var entry in new DirectoryInfo(parent).EnumerateDirectories(".*"))
            if (leftover.Match(entry.Name) is { Success: true } match && !IsRunning(int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)))
                TryDelete(entry.FullName);
    }

    private static bool IsRunning(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
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
            TryDelete(source); // now the old folder
            return;
        }
        string old = Beside(target, "old");
        Directory.Move(target, old);
        Directory.Move(source, target);
        TryDelete(old);
    }

    // The new folder is in place by now: an old one that cannot be deleted is left for a later run's CleanLeftovers.
    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
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

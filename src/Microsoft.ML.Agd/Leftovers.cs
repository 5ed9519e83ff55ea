using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Microsoft.ML.Agd;

/// <summary>
/// What runs that were killed left behind: folders and files whose names carry the id of the process that made them (a
/// group named "pid" in the pattern). Those of processes no longer running are deleted; a live run's are left alone.
/// </summary>
internal static class Leftovers
{
    /// <summary>
    /// Deletes the folders and files in <paramref name="parent"/> whose names match <paramref name="name"/> and whose
    /// process has ended (the pipes and socket the .NET runtime makes for debuggers among them, which it removes only on
    /// a clean exit).
    /// </summary>
    public static void Delete(string parent, Regex name)
    {
        if (!Directory.Exists(parent))
            return;
        foreach (var entry in new DirectoryInfo(parent).EnumerateFileSystemInfos())
            if (name.Match(entry.Name) is { Success: true } match && !IsRunning(int.Parse(match.Groups["pid"].Value, System.Globalization.CultureInfo.InvariantCulture)))
            {
                if (entry is DirectoryInfo)
                    TryDelete(entry.FullName);
                else
                    TryDeleteFile(entry.FullName);
            }
    }

    /// <summary>Deletes a folder and what it holds; one that cannot be deleted now is left for a later run.</summary>
    public static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Deletes a file; one that cannot be deleted now is left for a later run.</summary>
    public static void TryDeleteFile(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
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
}

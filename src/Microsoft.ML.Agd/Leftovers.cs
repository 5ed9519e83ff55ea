using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Microsoft.ML.Agd;

/// <summary>
/// What runs that were killed left behind: folders and files whose names carry the id of the process that made them (a
/// group named "pid" in the pattern). Those of processes no longer running are deleted; a live run's are left alone.
/// </summary>
internal static class Leftovers
{
    /// <summary>Deletes the folders in <paramref name="parent"/> whose names match <paramref name="name"/> and whose process has ended.</summary>
    public static void Delete(string parent, Regex name)
    {
        if (!Directory.Exists(parent))
            return;
        foreach (var entry in new DirectoryInfo(parent).EnumerateDirectories())
            if (name.Match(entry.Name) is { Success: true } match && !IsRunning(int.Parse(match.Groups["pid"].Value, System.Globalization.CultureInfo.InvariantCulture)))
                TryDelete(entry.FullName);
    }

    /// <summary>
    /// Deletes the files in <paramref name="parent"/> whose names match <paramref name="name"/> and whose process has
    /// ended, such as the pipes and socket the .NET runtime makes for debuggers, which it removes only on a clean exit.
    /// </summary>
    public static void DeleteFiles(string parent, Regex name)
    {
        if (!Directory.Exists(parent))
            return;
        foreach (var entry in new DirectoryInfo(parent).EnumerateFiles())
            if (name.Match(entry.Name) is { Success: true } match && !IsRunning(int.Parse(match.Groups["pid"].Value, System.Globalization.CultureInfo.InvariantCulture)))
                try
                {
                    entry.Delete();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
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

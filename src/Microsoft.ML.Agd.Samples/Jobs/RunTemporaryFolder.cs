using System.Text.RegularExpressions;

namespace Microsoft.ML.Agd.Samples.Jobs;

/// <summary>
/// This run's own temporary folder (TMPDIR/agd-PID-GUID), made the process's temporary folder so that every temporary
/// file of the run (the network ONNX Runtime scores, ML.NET's unpacked models) is in it. It is removed on every way out
/// but a kill, and the next run removes what a killed one left (the runtime's diagnostic pipes included).
/// </summary>
internal static partial class RunTemporaryFolder
{
    /// <summary>Makes the folder and points the process's temporary path at it.</summary>
    /// <exception cref="IOException">The system's temporary folder cannot be written; the message names it and the fix.</exception>
    public static void Enter()
    {
        string parent = Path.GetTempPath();
        if (parent.Contains('\uFFFD', StringComparison.Ordinal)) // .NET reads the variable as UTF-8: such a path names another folder
            throw new IOException($"The temporary folder '{parent}' cannot be used: TMPDIR holds bytes that are not UTF-8 (shown as \uFFFD); set TMPDIR to a folder of a UTF-8 name.");
        Leftovers.Delete(parent, OfARun());
        Leftovers.Delete(parent, OfARuntime());
        string folder = Path.Combine(parent, $"agd-{Environment.ProcessId}-{Guid.NewGuid():N}");
        lock (s_gate) // a signal's removal waits for the folder to be made and known
        {
            if (s_ending)
                return; // a signal came first and the process is ending at once: a folder made now would be left behind
            try
            {
                if (!Directory.Exists(parent)) // making it would make a folder the user did not ask for (and its parents)
                    throw new DirectoryNotFoundException(parent);
                Directory.CreateDirectory(folder);
                (s_folder, s_parent) = (folder, parent);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new IOException($"The temporary folder '{parent}' cannot be written: {WhyUnwritable(parent, e)}.", e);
            }
        }
        foreach (string variable in OperatingSystem.IsWindows() ? ["TMP", "TEMP"] : new[] { "TMPDIR" })
            Environment.SetEnvironmentVariable(variable, folder);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Remove();
    }

    private static string? s_folder, s_parent;
    private static bool s_ending;
    private static readonly Lock s_gate = new();

    /// <summary>The folder the run's temporary folder was made in (TMPDIR), once made.</summary>
    public static string? Parent => s_parent;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> s_held = new();

    /// <summary>
    /// Counts a folder the run writes outside its temporary folder (a staging folder beside an output) as the run's own
    /// until the returned object is disposed: a process that must end at once removes it too.
    /// </summary>
    public static IDisposable Hold(string folder)
    {
        s_held[folder] = true;
        return new Disposal(() => s_held.TryRemove(folder, out _));
    }

    /// <summary>
    /// Removes the folder and the folders held (<see cref="Hold"/>); with <paramref name="endingAtOnce"/> (a process
    /// about to end without the runtime's shutdown, which would remove them) also the runtime's own pipes.
    /// </summary>
    public static void Remove(bool endingAtOnce = false)
    {
        foreach (string held in s_held.Keys)
            Delete(held);
        lock (s_gate)
        {
            s_ending |= endingAtOnce;
            if (s_folder is { } folder)
                Delete(folder);
        }
        if (endingAtOnce && (s_parent ?? Path.GetTempPath()) is var parent && Directory.Exists(parent))
            foreach (string pipe in Directory.EnumerateFiles(parent).Where(f => OfARuntime().Match(Path.GetFileName(f)) is { Success: true } m && m.Groups["pid"].Value == $"{Environment.ProcessId}"))
                Leftovers.TryDeleteFile(pipe);
    }

    // On a signal the verb's own thread runs on, and a file it makes while the folder is deleted keeps the folder: deleted
    // again until gone (a few tries; what is left then, the next run removes).
    private static void Delete(string folder)
    {
        for (int tries = 0; tries < 5 && Directory.Exists(folder); tries++)
            Leftovers.TryDelete(folder);
    }

    // What keeps a folder from being written, and what to do.
    private static string WhyUnwritable(string folder, Exception e)
    {
        const int noSpace = 28, readOnlyFileSystem = 30; // ENOSPC and EROFS: .NET's HResult of such an IOException on Unix
        string path = Path.TrimEndingDirectorySeparator(folder);
        return File.Exists(path) ? "it is a file, not a folder; set TMPDIR to a folder"
            : !Directory.Exists(path) ? "it does not exist; set TMPDIR to a folder that does"
            : e is UnauthorizedAccessException ? "this user may not write there; set TMPDIR to a folder this user can write"
            : e.HResult == readOnlyFileSystem ? "it is on a read-only file system; set TMPDIR to a folder that can be written"
            : e.HResult == noSpace ? "its disk is full; free space there, or set TMPDIR to a folder on another disk"
            : $"{e.Message}; set TMPDIR to a folder that can be written";
    }

    [GeneratedRegex(@"^agd-(?<pid>\d+)-[0-9a-f]{32}$")]
    private static partial Regex OfARun();

    // The .NET runtime's diagnostic pipes and socket (clr-debug-pipe-PID-N-in/out, dotnet-diagnostic-PID-N-socket).
    [GeneratedRegex(@"^(?:clr-debug-pipe-(?<pid>\d+)-\d+-(?:in|out)|dotnet-diagnostic-(?<pid>\d+)-\d+-socket)$")]
    private static partial Regex OfARuntime();
}

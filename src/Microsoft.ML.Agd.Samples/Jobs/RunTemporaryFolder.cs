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
        Leftovers.Delete(parent, OfARun());
        Leftovers.Delete(parent, OfARuntime());
        string folder = Path.Combine(parent, $"agd-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"The temporary folder '{parent}' cannot be written ({e.Message}); free space there, or set TMPDIR to a folder that can be written.", e);
        }
        foreach (string variable in OperatingSystem.IsWindows() ? ["TMP", "TEMP"] : new[] { "TMPDIR" })
            Environment.SetEnvironmentVariable(variable, folder);
        s_folder = folder;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Remove();
    }

    private static string? s_folder;

    /// <summary>Removes the folder (a process about to end at once, without the runtime's shutdown, calls it first).</summary>
    public static void Remove()
    {
        if (s_folder is { } folder)
            Leftovers.TryDelete(folder);
    }

    [GeneratedRegex(@"^agd-(?<pid>\d+)-[0-9a-f]{32}$")]
    private static partial Regex OfARun();

    // The .NET runtime's diagnostic pipes and socket (clr-debug-pipe-PID-N-in/out, dotnet-diagnostic-PID-N-socket).
    [GeneratedRegex(@"^(?:clr-debug-pipe-(?<pid>\d+)-\d+-(?:in|out)|dotnet-diagnostic-(?<pid>\d+)-\d+-socket)$")]
    private static partial Regex OfARuntime();
}

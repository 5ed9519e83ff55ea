using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Microsoft.ML.Agd;

/// <summary>
/// The library's temporary files (the network a scoring chain reads): named with this process's id, deleted when their
/// owner is disposed or, for owners never disposed (an ML.NET transformer seldom is), when the process ends; the first
/// file a process makes sweeps away those that killed processes left.
/// </summary>
internal static partial class TemporaryFiles
{
    private static readonly ConcurrentDictionary<string, bool> s_live = new();
    private static readonly Lazy<bool> s_started = new(() =>
    {
        DeleteLeftovers(Path.GetTempPath());
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (string path in s_live.Keys)
                Delete(path);
        };
        return true;
    });

    /// <summary>A new file's path in the temporary folder (the file is not made).</summary>
    public static string NewPath()
    {
        _ = s_started.Value;
        string path = Path.Combine(Path.GetTempPath(), $"agd-network-{Environment.ProcessId}-{Guid.NewGuid():N}.onnx");
        s_live[path] = true;
        return path;
    }

    /// <summary>Deletes a file made at <see cref="NewPath"/>; one that cannot be deleted now is left for a later process.</summary>
    public static void Delete(string path)
    {
        Leftovers.TryDeleteFile(path);
        s_live.TryRemove(path, out _);
    }

    /// <summary>Deletes the files in <paramref name="folder"/> that processes no longer running made here.</summary>
    public static void DeleteLeftovers(string folder) => Leftovers.Delete(folder, OfAProcess());

    [GeneratedRegex(@"^agd-network-(?<pid>\d+)-[0-9a-f]{32}\.onnx$")]
    private static partial Regex OfAProcess();
}

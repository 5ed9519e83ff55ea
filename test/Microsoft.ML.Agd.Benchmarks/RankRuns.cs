using System.Diagnostics;

namespace Microsoft.ML.Agd.Benchmarks;

/// <summary>
/// This benchmark program run again as child processes: alone, as <c>mpiexec -n N</c> ranks, or as several lone
/// processes at once; each prints one line "RESULT ..." (rank 0's, under mpiexec), whose fields are returned.
/// </summary>
internal static class RankRuns
{
    /// <summary>Runs the program with <paramref name="arguments"/> on <paramref name="ranks"/> ranks (1: alone, without mpiexec).</summary>
    public static string[] Run(int ranks, params string[] arguments)
        => Results(ranks == 1 ? Lone(arguments) : new ProcessStartInfo("mpiexec", ["-n", $"{ranks}", "dotnet", typeof(RankRuns).Assembly.Location, .. arguments])).Single();

    /// <summary>Runs the program alone with <paramref name="arguments"/> and these environment variables added.</summary>
    public static string[] Alone(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var start = Lone(arguments);
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        return Results(start).Single();
    }

    /// <summary>Runs <paramref name="count"/> lone processes at once, each with <paramref name="arguments"/>; their results.</summary>
    public static IReadOnlyList<string[]> Together(int count, params string[] arguments)
        => Results([.. Enumerable.Range(0, count).Select(_ => Lone(arguments))]);

    // This program, run again with these arguments as a process of its own.
    private static ProcessStartInfo Lone(string[] arguments) => new("dotnet", [typeof(RankRuns).Assembly.Location, .. arguments]);

    private static List<string[]> Results(params ProcessStartInfo[] starts)
    {
        var children = starts.Select(s =>
        {
            s.RedirectStandardOutput = true;
            return Process.Start(s)!;
        }).ToList();
        var outputs = children.Select(c => c.StandardOutput.ReadToEndAsync()).ToList();
        var results = new List<string[]>();
        foreach (var (child, output) in children.Zip(outputs))
        {
            child.WaitForExit();
            child.Dispose();
            results.Add(output.Result.Split('\n').Single(l => l.StartsWith("RESULT ", StringComparison.Ordinal)).Trim().Split(' ')[1..]);
        }
        return results;
    }
}

using System.Diagnostics;

namespace Microsoft.ML.Agd.Tests.TestData;

/// <summary>agd started by MPICH's launcher as a job of several ranks, as a user or a cluster's job starts it.</summary>
internal static class MpiJob
{
    /// <summary>The launcher, which build/test.sh installs where it is missing.</summary>
    public const string Launcher = "/usr/bin/mpiexec";

    /// <summary>
    /// Runs <c>mpiexec -n <paramref name="ranks"/> dotnet agd.dll ...</c>; calls <paramref name="whileRunning"/> with the
    /// launcher's and the ranks' process ids once a line <paramref name="after"/> accepts is printed. Returns the job's exit
    /// code, what it printed, and how long it ran after that call.
    /// </summary>
    public static (int Code, string Output, TimeSpan AfterCall) Run(int ranks, string[] args, Func<string, bool>? after = null, Action<int, int[]>? whileRunning = null)
        => Launch(["-n", $"{ranks}", "dotnet", Cli.AgdDll, .. args], ranks, after, whileRunning);

    /// <summary>Runs <c>mpiexec -env NAME VALUE -n <paramref name="ranks"/> dotnet agd.dll ...</c>: every rank with a variable set.</summary>
    public static (int Code, string Output) RunWith((string Name, string Value) variable, int ranks, string[] args)
    {
        var (code, output, _) = Launch(["-env", variable.Name, variable.Value, "-n", $"{ranks}", "dotnet", Cli.AgdDll, .. args], ranks, null, null);
        return (code, output);
    }

    /// <summary>
    /// Runs one job whose ranks are given different arguments (MPI's <c>mpiexec -n 1 a : -n 1 b</c>), one rank each, with
    /// <paramref name="temporaryFolder"/> as every rank's TMPDIR.
    /// </summary>
    public static (int Code, string Output) RunEach(string temporaryFolder, params string[][] args)
    {
        var (code, output, _) = Launch(args.SelectMany((a, i) => (string[])[.. i > 0 ? [":"] : Array.Empty<string>(), "-n", "1", "dotnet", Cli.AgdDll, .. a]).ToArray(), args.Length, null, null,
            temporaryFolder);
        return (code, output);
    }

    private static (int Code, string Output, TimeSpan AfterCall) Launch(string[] launcherArgs, int ranks, Func<string, bool>? after, Action<int, int[]>? whileRunning,
        string? temporaryFolder = null)
    {
        Assert.IsTrue(File.Exists(Launcher), $"{Launcher} is missing: build/test.sh installs MPICH (apt-get install mpich) where it is missing.");
        var start = new ProcessStartInfo(Launcher, launcherArgs) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (temporaryFolder is not null)
            start.Environment["TMPDIR"] = temporaryFolder;
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var lines = new List<string>();
        var clock = new Stopwatch();
        while (process.StandardOutput.ReadLine() is { } line)
        {
            lines.Add(line);
            if (whileRunning is not null && !clock.IsRunning && after!(line))
            {
                clock.Start();
                whileRunning(process.Id, RankProcesses(process.Id, ranks));
            }
        }
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"The job did not end within 3 minutes:\n{string.Join('\n', lines)}\n{error.Result}");
        }
        return (process.ExitCode, string.Join('\n', lines) + "\n" + error.Result, clock.Elapsed);
    }

    // The ranks: the launcher's descendants that run dotnet, in rank order (each has PMI_RANK in its environment).
    private static int[] RankProcesses(int launcher, int ranks)
    {
        var found = new SortedDictionary<int, int>();
        for (int attempt = 0; attempt < 50 && found.Count < ranks; attempt++, Thread.Sleep(100))
            foreach (string folder in Directory.GetDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
                try
                {
                    string environment = File.ReadAllText(Path.Combine(folder, "environ"));
                    if (File.ReadAllText(Path.Combine(folder, "cmdline")).StartsWith("dotnet\0", StringComparison.Ordinal) &&
                        environment.Split('\0').FirstOrDefault(v => v.StartsWith("PMI_RANK=", StringComparison.Ordinal)) is { } rank &&
                        IsDescendant(int.Parse(Path.GetFileName(folder)), launcher))
                        found[int.Parse(rank["PMI_RANK=".Length..])] = int.Parse(Path.GetFileName(folder));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // a process that ended meanwhile, or one this user may not read
                }
        Assert.AreEqual(ranks, found.Count, "The ranks' processes were found.");
        return [.. found.Values];
    }

    private static bool IsDescendant(int process, int ancestor)
    {
        for (int p = process; p > 1;)
        {
            string stat = File.ReadAllText($"/proc/{p}/stat");
            p = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
            if (p == ancestor)
                return true;
        }
        return false;
    }
}

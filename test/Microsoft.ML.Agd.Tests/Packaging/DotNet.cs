using System.Diagnostics;

namespace Microsoft.ML.Agd.Tests.Packaging;

/// <summary>Runs the dotnet CLI as a user would, in a folder outside the repository.</summary>
internal static class DotNet
{
    /// <summary>The repository's root (the folder holding the solution).</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>The configuration these tests were built in (Release under build/test.sh).</summary>
    public static string Configuration { get; } = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;

    /// <summary>Runs <c>dotnet</c> with arguments; returns its combined output, or fails the test with it.</summary>
    public static string Run(string folder, params string[] arguments)
    {
        var (code, output) = Execute(folder, arguments);
        Assert.AreEqual(0, code, $"dotnet {string.Join(' ', arguments)} in {folder} failed:\n{output}");
        return output;
    }

    /// <summary>Runs <c>dotnet</c> with arguments; returns its exit code and combined output.</summary>
    public static (int Code, string Output) Execute(string folder, params string[] arguments) => Execute(folder, arguments, new Dictionary<string, string>());

    /// <summary>Runs <c>dotnet</c> with arguments and more environment variables; returns its exit code and combined output.</summary>
    public static (int Code, string Output) Execute(string folder, string[] arguments, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet", arguments) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"dotnet {string.Join(' ', arguments)} did not finish in 5 minutes:\n{output}");
        }
        return (process.ExitCode, output + error.Result);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Microsoft.ML.Agd.sln")))
                return dir.FullName;
        throw new InvalidOperationException("The tests must run from inside the repository.");
    }
}

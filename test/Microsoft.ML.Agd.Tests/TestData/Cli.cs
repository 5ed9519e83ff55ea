using System.Diagnostics;

namespace Microsoft.ML.Agd.Tests.TestData;

/// <summary>Runs the agd command line in this process with its output captured, or as a child process that a test can stop with Ctrl+C (SIGINT).</summary>
internal static class Cli
{
    /// <summary>The agd program as the build wrote it, for <c>dotnet agd.dll verb ...</c> in a child process.</summary>
    public static string AgdDll { get; } = Path.Combine(Packaging.DotNet.RepositoryRoot, "src", "Microsoft.ML.Agd.Samples", "bin", Packaging.DotNet.Configuration, "net10.0", "agd.dll");

    /// <summary>
    /// Points this process's temporary folder at <paramref name="folder"/> until disposed (Path.GetTempPath() reads TMPDIR at
    /// every call). Only for tests that do not run in parallel with others.
    /// </summary>
    public static IDisposable WithTemporaryFolder(string folder)
    {
        string? before = Environment.GetEnvironmentVariable("TMPDIR");
        Environment.SetEnvironmentVariable("TMPDIR", folder);
        return new Restore(() => Environment.SetEnvironmentVariable("TMPDIR", before));
    }

    private sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }

    /// <summary>Output with the line breaks that the console display adds at its width taken out again.</summary>
    public static string Unwrapped(string output) => System.Text.RegularExpressions.Regex.Replace(output, @" ?\n", " ");

    /// <summary>Runs a verb in this process; returns its exit code and what it wrote (standard output, then standard error). Tests that call it must not run in parallel.</summary>
    public static (int Code, string Output) Run(params string[] args)
    {
        var (output, error, ansi) = (Console.Out, Console.Error, Spectre.Console.AnsiConsole.Console);
        using var captured = new StringWriter();
        Console.SetOut(captured);
        Console.SetError(captured);
        // Spectre.Console keeps the writer it first saw: give it the captured one, then the one it had.
        Spectre.Console.AnsiConsole.Console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings { Out = new Spectre.Console.AnsiConsoleOutput(captured) });
        try
        {
            return (Program.Run(args), captured.ToString());
        }
        finally
        {
            Console.SetOut(output);
            Console.SetError(error);
            Spectre.Console.AnsiConsole.Console = ansi;
        }
    }

    /// <summary>
    /// Starts agd as a user's shell would, sends it SIGINT (what Ctrl+C sends) once it has printed a line that
    /// <paramref name="interruptAfter"/> accepts and <paramref name="delay"/> has passed, and returns its exit code and output.
    /// </summary>
    public static (int Code, string Output) RunAndInterrupt(Func<string, bool> interruptAfter, TimeSpan delay, params string[] args)
        => RunAndSignal("INT", interruptAfter, delay, null, args);

    /// <summary>
    /// Starts agd (with <paramref name="temporary"/> as its TMPDIR, when given), sends it a signal (INT, TERM, KILL) once it
    /// has printed a line that <paramref name="after"/> accepts and <paramref name="delay"/> has passed, and returns its exit
    /// code and output.
    /// </summary>
    public static (int Code, string Output) RunAndSignal(string signal, Func<string, bool> after, TimeSpan delay, string? temporary, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet", [AgdDll, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (temporary is not null)
            start.Environment["TMPDIR"] = temporary;
        using var process = Process.Start(start)!;
        var lines = new List<string>();
        var error = process.StandardError.ReadToEndAsync();
        bool sent = false;
        while (process.StandardOutput.ReadLine() is { } line)
        {
            lines.Add(line);
            if (!sent && after(line))
            {
                Thread.Sleep(delay);
                using var kill = Process.Start("kill", [$"-{signal}", $"{process.Id}"]);
                kill.WaitForExit();
                sent = true;
            }
        }
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
            process.Kill(entireProcessTree: true);
        string output = string.Join('\n', lines) + "\n" + error.Result;
        Assert.IsTrue(sent, $"agd ended before it was sent SIG{signal}:\n{output}");
        return (process.ExitCode, output);
    }
}

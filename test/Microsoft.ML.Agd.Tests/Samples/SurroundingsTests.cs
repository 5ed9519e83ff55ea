using System.Diagnostics;

namespace Microsoft.ML.Agd.Tests.Samples;

/// <summary>agd started from odd shells: closed standard streams, a deleted working folder, another locale.</summary>
[TestClass]
[TestCategory("Integration")]
public class SurroundingsTests
{
    // Runs a bash line in a fresh folder, with TMPDIR its tmp/ and "$A" the agd command; returns the exit code and what it printed.
    private static (int Code, string Output, string[] LeftInTmp) Shell(TinyData data, string line, params (string Name, string Value)[] environment)
    {
        Directory.CreateDirectory(data.Path("tmp"));
        var start = new ProcessStartInfo("bash", ["-c", line]) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = data.Root };
        start.Environment["A"] = $"dotnet {Cli.AgdDll}";
        start.Environment["TMPDIR"] = data.Path("tmp");
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + error.Result, Directory.GetFileSystemEntries(data.Path("tmp")));
    }

    [TestMethod]
    public void AClosedStandardOutputIsNamedAndAClosedStandardErrorEndsWithTheErrorsCode()
    {
        using var data = new TinyData();
        var (code, output, left) = Shell(data, "$A evaluate -m none >&-");
        Assert.AreEqual(1, code, output);
        StringAssert.Contains(output, "error: agd's standard output is closed (>&-), so what it prints would be lost: send it to a file or to /dev/null instead (> out.txt).");
        Assert.AreEqual(0, left.Length, string.Join(", ", left));

        (code, output, left) = Shell(data, "$A evaluate -m none 2>&-");
        Assert.AreEqual(1, code, $"the error's code, not an abort (134):\n{output}");
        Assert.AreEqual(0, left.Length, string.Join(", ", left));
    }

    [TestMethod]
    public void ADeletedWorkingFolderIsNamedBeforeAnythingLoads()
    {
        using var data = new TinyData();
        string folder = data.IdxFolder();
        var (code, output, left) = Shell(data, $"mkdir gone && cd gone && rmdir ../gone && $A train --data '{folder}' -e 1 -o '{data.Path("out")}'");
        Assert.AreEqual(1, code, output);
        StringAssert.Contains(output, "error: the working folder no longer exists (it was deleted after this shell entered it), so relative paths name nothing: cd to a folder that exists and run agd again.");
        Assert.AreEqual(0, left.Length, string.Join(", ", left));
        Assert.IsFalse(Directory.Exists(data.Path("out")));
    }

    [TestMethod]
    [DataRow("de_DE.UTF-8")]
    [DataRow("fr_FR.UTF-8")]
    public void NumbersAreReadAsWrittenInEveryLocale(string locale)
    {
        // In German 0.25 would be read as 25 ("It was 25"), in French refused: the value is named as given.
        using var data = new TinyData();
        var (code, output, _) = Shell(data, $"$A train --data '{data.IdxFolder()}' --test-fraction 1.25 -o out", ("LANG", locale), ("LC_ALL", locale));
        Assert.AreEqual(1, code, output);
        StringAssert.Contains(Cli.Unwrapped(output), "It was 1.25.");
    }
}

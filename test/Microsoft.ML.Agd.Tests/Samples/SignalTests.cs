using System.Text.Json;

namespace Microsoft.ML.Agd.Tests.Samples;

/// <summary>
/// SIGTERM, as Kubernetes, systemd and Slurm stop a job, is Ctrl+C by another name; and a run, however it ends, leaves
/// nothing in the temporary folder that the next run does not remove.
/// </summary>
[DoNotParallelize]
[TestClass, TestCategory(TestSetup.Integration)]
public class SignalTests
{
    // The epoch a progress line reports, or 0 (the display redraws at its own pace: not every epoch gets a line).
    private static int Epoch(string line)
        => System.Text.RegularExpressions.Regex.Match(line, @"^epoch (\d+):") is { Success: true } m ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;

    private static string Subset => Path.Combine(Packaging.DotNet.RepositoryRoot, "data", "fashion-mnist-subset");

    [TestMethod]
    public void SigtermDuringTrainingKeepsTheWholeEpochsExits143AndLeavesTheTemporaryFolderEmpty()
    {
        using var data = new TinyData();
        string temporary = Directory.CreateDirectory(data.Path("tmp")).FullName, output = data.Path("model");
        var (code, printed) = Cli.RunAndSignal("TERM", line => Epoch(line) >= 2, TimeSpan.Zero, temporary,
            "train", "--data", Subset, "--width", "64", "-e", "200", "-o", output);

        Assert.AreEqual(143, code, printed);
        StringAssert.Contains(Cli.Unwrapped(printed), "which was undone; the model of epoch");
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")));
        int epochs = metrics.RootElement.GetProperty("History").GetArrayLength();
        Assert.IsTrue(epochs is >= 2 and < 200, $"{epochs} whole epochs kept");
        Assert.AreEqual(10, new ModelFolder(output).ReadInfo().ClassNames.Count, "the folder is whole: its checksums hold");
        // Nothing of the run is left: not its own files, not ONNX Runtime's telemetry, not the .NET runtime's debugger pipes.
        CollectionAssert.AreEqual(Array.Empty<string>(), Directory.GetFileSystemEntries(temporary).Select(Path.GetFileName).ToArray());
    }

    [TestMethod]
    [DataRow("INT", 130)]
    [DataRow("TERM", 143)]
    public void ASignalDuringAVerbThatCannotStopEndsItAtOnceWithoutACrash(string signal, int exitCode)
    {
        using var data = new TinyData();
        string temporary = Directory.CreateDirectory(data.Path("tmp")).FullName;
        // lm generate is inside libtorch nearly all the time: exit()'s teardown under it crashed the process (exit 139).
        // Its text has no line ends to wait for: it is signalled once it has had time to start.
        var start = new System.Diagnostics.ProcessStartInfo("dotnet", [Cli.AgdDll, "lm", "generate", "-m", TinyLanguageModel.Folder, "--prompt", "a", "--length", "1000000"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        start.Environment["TMPDIR"] = temporary;
        using var agd = System.Diagnostics.Process.Start(start)!;
        var printed = agd.StandardOutput.ReadToEndAsync();
        var errors = agd.StandardError.ReadToEndAsync();
        Thread.Sleep(TimeSpan.FromSeconds(4));
        Assert.IsFalse(agd.HasExited, $"still generating when signalled: {(agd.HasExited ? errors.Result : "")}");
        using (var kill = System.Diagnostics.Process.Start("kill", [$"-{signal}", $"{agd.Id}"]))
            kill.WaitForExit();
        Assert.IsTrue(agd.WaitForExit(TimeSpan.FromSeconds(30)), "ended at once");
        int code = agd.ExitCode;
        string output = printed.Result[^Math.Min(200, printed.Result.Length)..] + errors.Result;
        Assert.AreEqual(exitCode, code, output);
        Assert.IsFalse(output.Contains("   at ", StringComparison.Ordinal) || output.Contains("Exception", StringComparison.Ordinal), output);
        Assert.AreEqual(0, Directory.GetDirectories(temporary).Length, "the run's temporary folder is removed");
    }

    [TestMethod]
    public void TheNextRunRemovesTheTemporaryFolderOfAKilledOne()
    {
        using var data = new TinyData();
        string temporary = Directory.CreateDirectory(data.Path("tmp")).FullName;
        var (code, printed) = Cli.RunAndSignal("KILL", line => Epoch(line) >= 1, TimeSpan.Zero, temporary,
            "train", "--data", Subset, "--width", "64", "-e", "200", "-o", data.Path("model"));
        Assert.AreEqual(137, code, printed);
        var left = Directory.GetDirectories(temporary, "agd-*");
        Assert.AreEqual(1, left.Length, "the killed run's folder, which held its temporary files");

        var (next, said) = Packaging.DotNet.Execute(data.Root, [Cli.AgdDll, "predict", "-m", data.Path("no-model"), "x.png"], new Dictionary<string, string> { ["TMPDIR"] = temporary });
        Assert.AreEqual(1, next, said);
        Assert.IsFalse(Directory.Exists(left[0]), "removed by the next run");
        Assert.AreEqual(0, Directory.GetFileSystemEntries(temporary, "agd-*").Length);
    }

    [TestMethod]
    [DataRow("INT", 130)]
    [DataRow("TERM", 143)]
    public void StoppedBeforeItsFirstStepLanguageModelTrainingWritesNothingAndKeepsTheEarlierModel(string signal, int exitCode)
    {
        using var data = new TinyData();
        string text = data.Path("markov.txt"), output = data.Path("lm");
        File.WriteAllText(text, string.Concat(Enumerable.Range(0, 4_000).Select(i => (char)('a' + i * 7 % 8))));
        string[] shape = ["--text", text, "--layers", "1", "--heads", "1", "--width", "16", "--context", "8", "-o", output];
        var (trained, said) = Cli.Run(["lm", "train", .. shape, "--iterations", "10", "--eval-interval", "10", "--eval-batches", "1"]);
        Assert.AreEqual(0, trained, said);
        var before = ModelFolders.Snapshot(output);

        // The first estimate of the losses (100,000 batches) takes far longer than the signal takes to arrive.
        var (code, printed) = Cli.RunAndSignal(signal, line => line.StartsWith(text, StringComparison.Ordinal), TimeSpan.Zero, null,
            ["lm", "train", .. shape, "--eval-batches", "100000"]);

        Assert.AreEqual(exitCode, code, printed);
        StringAssert.Contains(Cli.Unwrapped(printed), $"Stopped before the first step: no model was written; '{output}' still holds the earlier one.");
        ModelFolders.AssertUnchanged(before, output);
    }

    [TestMethod]
    [Timeout(120_000)]
    public void GenerationStopsAtOnceWhenTheReaderOfItsOutputHasGone()
    {
        // head ends after 10 bytes; the million characters asked for would take this model many minutes. A reader that has
        // gone is SIGPIPE's case: exit 141, as cat's, and the run's temporary folder removed.
        using var data = new TinyData();
        string temporary = Directory.CreateDirectory(data.Path("tmp")).FullName;
        string command = $"TMPDIR='{temporary}' dotnet '{Cli.AgdDll}' lm generate -m '{TinyLanguageModel.Folder}' -p ab -n 1000000 | head -c 10 > /dev/null; echo ${{PIPESTATUS[0]}}";
        using var shell = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("bash", ["-c", command]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var error = shell.StandardError.ReadToEndAsync();
        string status = shell.StandardOutput.ReadToEnd().Trim();
        shell.WaitForExit();
        Assert.AreEqual("141", status, error.Result);
        Assert.AreEqual("", error.Result, "nothing said: the reader asked for no more");
        CollectionAssert.AreEqual(Array.Empty<string>(), Directory.GetFileSystemEntries(temporary).Select(Path.GetFileName).ToArray());
    }

    [TestMethod]
    public void ATermEarlyInAVerbLeavesNoRunFolder()
    {
        // Signals at moments from the runtime's start to the verb's work: the handlers are in place before the run's
        // temporary folder is made, and the folder goes however far the verb got.
        using var data = new TinyData();
        string model = ModelFolders.TrainTiny(data, data.Path("model"), epochs: 1), image = data.OneImage();
        string temporary = Directory.CreateDirectory(data.Path("tmp")).FullName;
        string[] images = [.. Enumerable.Repeat(image, 400)];
        foreach (int milliseconds in new[] { 300, 500, 700, 900, 1100, 1400 })
        {
            var start = new System.Diagnostics.ProcessStartInfo("dotnet", [Cli.AgdDll, "predict", "-m", model, .. images]) { RedirectStandardOutput = true, RedirectStandardError = true };
            start.Environment["TMPDIR"] = temporary;
            using var agd = System.Diagnostics.Process.Start(start)!;
            var printed = Task.WhenAll(agd.StandardOutput.ReadToEndAsync(), agd.StandardError.ReadToEndAsync());
            Thread.Sleep(milliseconds);
            using (var kill = System.Diagnostics.Process.Start("kill", ["-TERM", $"{agd.Id}"]))
                kill.WaitForExit();
            agd.WaitForExit();
            string said = string.Join("\n", printed.Result);
            Assert.IsTrue(agd.ExitCode is 0 or 143, $"at {milliseconds} ms: exit {agd.ExitCode}: {said}");
            var runs = Directory.GetDirectories(temporary).Select(Path.GetFileName).ToArray();
            CollectionAssert.AreEqual(Array.Empty<string>(), runs, $"at {milliseconds} ms: {said}");
        }
    }
}

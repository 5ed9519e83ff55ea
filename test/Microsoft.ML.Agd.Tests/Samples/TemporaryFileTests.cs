namespace Microsoft.ML.Agd.Tests.Samples;

/// <summary>ONNX Runtime scores a network from a temporary file: every verb deletes its own when done.</summary>
[DoNotParallelize]
[TestClass]
public class TemporaryFileTests
{
    [TestMethod]
    public void TrainEvaluateAndPredictLeaveNothingInTheTemporaryFolder()
    {
        using var data = new TinyData();
        string idx = data.IdxFolder();
        string image = data.OneImage();
        string temporary = Directory.CreateDirectory(data.Path("tmp")).FullName;
        using (Cli.WithTemporaryFolder(temporary))
        {
            Assert.AreEqual(temporary, Path.TrimEndingDirectorySeparator(Path.GetTempPath()));
            string model = data.Path("model");
            foreach (var args in new[] { ["train", "--data", idx, "--epochs", "1", "--width", "16", "-o", model], ["evaluate", "-m", model, "--data", idx], new[] { "predict", "-m", model, image } })
            {
                var (code, printed) = Cli.Run(args);
                Assert.AreEqual(0, code, printed);
                var left = Directory.GetFileSystemEntries(temporary);
                Assert.AreEqual(0, left.Length, $"agd {args[0]} left {string.Join(", ", left.Select(f => $"{Path.GetFileName(f)} ({new FileInfo(f).Length} bytes)"))}");
            }
        }
    }

    [TestMethod]
    public void FilesThatEndedProcessesLeftAreDeletedAndALiveProcesssKept()
    {
        using var data = new TinyData();
        string folder = Directory.CreateDirectory(data.Path("tmp")).FullName;
        int ended;
        using (var done = System.Diagnostics.Process.Start("true"))
        {
            done.WaitForExit();
            ended = done.Id;
        }
        int live = Environment.ProcessId;
        string[] endedFiles = [$"clr-debug-pipe-{ended}-17-in", $"clr-debug-pipe-{ended}-17-out", $"dotnet-diagnostic-{ended}-17-socket", $"agd-network-{ended}-{Guid.NewGuid():N}.onnx"];
        string[] kept = [$"clr-debug-pipe-{live}-17-in", $"agd-network-{live}-{Guid.NewGuid():N}.onnx", "clr-debug-pipe-notes.txt"];
        foreach (string name in endedFiles.Concat(kept))
            File.WriteAllText(Path.Combine(folder, name), "");

        // A run of agd clears the runtime's pipes that killed runs left; the library clears its own networks' files.
        var start = new System.Diagnostics.ProcessStartInfo("dotnet", [Cli.AgdDll, "--help"]) { RedirectStandardOutput = true };
        start.Environment["TMPDIR"] = folder;
        using (var agd = System.Diagnostics.Process.Start(start)!)
        {
            agd.StandardOutput.ReadToEnd();
            agd.WaitForExit();
            Assert.AreEqual(0, agd.ExitCode);
        }
        TemporaryFiles.DeleteLeftovers(folder);
        CollectionAssert.AreEquivalent(kept, Directory.GetFiles(folder).Select(Path.GetFileName).ToArray());
        StringAssert.StartsWith(Path.GetFileName(TemporaryFiles.NewPath()), $"agd-network-{live}-");
    }

    [TestMethod]
    public void AFolderTheRunHoldsIsRemovedWhenTheProcessMustEndAtOnce()
    {
        using var data = new TinyData();
        string staging = Directory.CreateDirectory(data.Path(".model.staging-1-0")).FullName;
        File.WriteAllText(Path.Combine(staging, "model.zip"), "half written");
        using (RunTemporaryFolder.Hold(staging))
            RunTemporaryFolder.Remove(endingAtOnce: true); // what a second Ctrl+C does before _exit
        Assert.IsFalse(Directory.Exists(staging));
        // Released, a folder is the run's no more: one at the same path stays.
        Directory.CreateDirectory(staging);
        RunTemporaryFolder.Remove(endingAtOnce: true);
        Assert.IsTrue(Directory.Exists(staging));
    }
}

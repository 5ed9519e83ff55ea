namespace Microsoft.ML.Agd.Tests.Samples;

/// <summary>Every verb's output path is normalised and checked before any data is read; killed runs' leftovers are cleaned.</summary>
[DoNotParallelize]
[TestClass]
public class OutputPathTests
{
    [TestMethod]
    public void AFolderWithATrailingSlashIsThatFolder()
    {
        using var data = new TinyData();
        var (code, printed) = Cli.Run("train", "--data", data.IdxFolder(), "--epochs", "1", "--width", "16", "-o", data.Path("model") + Path.DirectorySeparatorChar);
        Assert.AreEqual(0, code, printed);
        Assert.AreEqual(SyntheticImages.Classes.Length, new ModelFolder(data.Path("model")).ReadInfo().ClassNames.Count);
        CollectionAssert.AreEquivalent(new[] { "idx", "model" }, Directory.GetFileSystemEntries(data.Root).Select(Path.GetFileName).ToArray(), "nothing else beside it");
    }

    [TestMethod]
    public void AnEmptyOutputPathIsNamed()
    {
        using var data = new TinyData();
        var (code, printed) = Cli.Run("train", "--data", data.IdxFolder(), "-o", "");
        Assert.AreEqual(1, code, printed);
        StringAssert.Contains(printed, "error: The folder given to -o is empty; give a folder path");
        Assert.ThrowsExactly<ArgumentException>(() => new ModelFolder(" ", "-m"));
    }

    [TestMethod]
    [DataRow("")]
    [DataRow("predict")]
    public void AModelFolderThatCannotBeWrittenIsRefusedBeforeTraining(string part)
    {
        using var data = new TinyData();
        var (output, before) = ModelFolders.EarlierModel(data);
        string readOnly = Path.TrimEndingDirectorySeparator(Path.Combine(output, part));
        using (ModelFolders.ReadOnly(readOnly))
        {
            // The data does not exist: a check that came after reading it would report the data instead.
            var e = Assert.ThrowsExactly<IOException>(() => TrainJob.Run(new TrainSettings { Data = new() { Folder = data.Path("no-such-data") }, Output = output }));
            StringAssert.Contains(e.Message, $"The output folder (-o) '{output}' cannot be written ('{readOnly}' refuses new files");
        }
        ModelFolders.AssertUnchanged(before, output);
        Assert.AreEqual(2, Directory.GetFileSystemEntries(data.Root).Length, "the data and the model, no staging folder");
    }

    [TestMethod]
    [DataRow("file")]
    [DataRow("proc")]
    [DataRow("under a file")]
    public void CompareRefusesAnOutputItCannotWriteBeforeTraining(string kind)
    {
        using var data = new TinyData();
        File.WriteAllText(data.Path("a-file"), "not a folder");
        string output = kind switch { "file" => data.Path("a-file"), "proc" => "/proc/agd-cannot-write-here", _ => data.Path("a-file", "compare") };
        var (code, printed) = Cli.Run("compare", "--data", data.Path("no-such-data"), "-o", output);
        Assert.AreEqual(1, code, printed);
        StringAssert.Contains(printed, $"error: The output folder (-o) '{output}'");
    }

    [TestMethod]
    public void EvaluateRefusesAChartFolderItCannotWriteBeforeReadingData()
    {
        using var data = new TinyData();
        string model = ModelFolders.TrainTiny(data, data.Path("model"));
        var (code, printed) = Cli.Run("evaluate", "-m", model, "--data", data.Path("no-such-data"), "-o", "/proc/agd-cannot-write-here");
        Assert.AreEqual(1, code, printed);
        StringAssert.Contains(printed, "error: The output folder (-o) '/proc/agd-cannot-write-here' cannot be written");
    }

    [TestMethod]
    public void AKilledRunsStagingFoldersAreCleanedAndALiveRunsAreNot()
    {
        using var data = new TinyData();
        string output = data.Path("model");
        string killed = AtomicFolder.Beside(output, "staging").Replace($"-{Environment.ProcessId}-", $"-{NotRunning()}-");
        string live = AtomicFolder.Beside(output, "staging"); // this process's: a run still writing
        Directory.CreateDirectory(killed);
        File.WriteAllText(Path.Combine(killed, "model.zip"), "half a model");
        Directory.CreateDirectory(live);

        ModelFolders.TrainTiny(data, output, epochs: 1);

        Assert.IsFalse(Directory.Exists(killed), "a killed run's staging folder is deleted");
        Assert.IsTrue(Directory.Exists(live), "a running process's staging folder is left alone");
    }

    // A process id that no process has now.
    private static int NotRunning()
    {
        for (int id = 4_000_000; ; id--)
            try
            {
                using var _ = System.Diagnostics.Process.GetProcessById(id);
            }
            catch (ArgumentException)
            {
                return id;
            }
    }
}

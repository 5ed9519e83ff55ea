using System.Text.RegularExpressions;

namespace Microsoft.ML.Agd.Tests.Distributed;

/// <summary><c>mpiexec -n 2 agd train</c>, run as users and clusters run it (MPICH's launcher, a process per rank).</summary>
[TestClass]
[TestCategory("Integration")]
[DoNotParallelize]
public class MpiJobTests
{
    private static string[] Train(TinyData data, string output, int epochs = 1)
        => ["train", "--data", data.IdxFolder(perClassTrain: 112, perClassTest: 10), "-e", $"{epochs}", "-b", "16", "--width", "32", "--depth", "3", "-o", data.Path(output)];

    private static float[] Weights(string folder)
        => global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(folder, "model.onnx"))).Graph.Initializer
            .SelectMany(t => t.RawData.Length > 0 ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray() : [.. t.FloatData]).ToArray();

    [TestMethod]
    public void TwoRanksWriteTheModelOneProcessTrainsWithTheirWholeBatch()
    {
        // 336 rows in batches of 16: 21 steps, each rank computing 8 rows of each. An FCN: a ResNet's run moves by a few
        // percent within such a run when one pixel moves by 1e-6 (measured on one process alone), so rounding apart is not
        // value by value; AcrossRanksTests compares one where it is.
        using var data = new TinyData();
        var (alone, printed) = Cli.Run(Train(data, "alone"));
        Assert.AreEqual(0, alone, printed);
        var (code, output, _) = MpiJob.Run(2, Train(data, "ranks"));
        Assert.AreEqual(0, code, output);
        Assert.AreEqual(1, Regex.Matches(output, "Test accuracy").Count, $"Rank 0 alone prints:\n{output}");
        StringAssert.Contains(output, "for 1 epoch (batch 16, across 2 ranks)");
        WeightsAssert.Close(Weights(data.Path("alone")), Weights(data.Path("ranks")), "The job's");
    }

    [TestMethod]
    public void TwoRanksWriteTheLanguageModelOneProcessTrainsWithTheirWholeBatch()
    {
        // 20 iterations of batch 8: each rank computes 4 windows of each.
        using var data = new TinyData();
        File.WriteAllText(data.Path("text.txt"), TinyLanguageModel.Text);
        string[] Train(string output) => ["lm", "train", "-t", data.Path("text.txt"), "--layers", "1", "--heads", "2", "--width", "16", "--context", "8", "-b", "8",
            "-i", "20", "--eval-interval", "10", "--eval-batches", "2", "-o", data.Path(output)];
        var (alone, printed) = Cli.Run(Train("alone"));
        Assert.AreEqual(0, alone, printed);
        var (code, output, _) = MpiJob.Run(2, Train("ranks"));
        Assert.AreEqual(0, code, output);
        StringAssert.Contains(output, "Training across 2 ranks.");
        using var one = new Microsoft.ML.Agd.Samples.Language.LanguageModelFolder(data.Path("alone")).Load().Model;
        using var two = new Microsoft.ML.Agd.Samples.Language.LanguageModelFolder(data.Path("ranks")).Load().Model;
        WeightsAssert.Close(WeightsAssert.Of(one), WeightsAssert.Of(two), "The job's");
    }

    [TestMethod]
    public void ARankKilledMidwayEndsTheJobWithinSecondsAndTheEarlierModelStays()
    {
        using var data = new TinyData();
        Assert.AreEqual(0, Cli.Run(Train(data, "model")).Code);
        var before = Directory.GetFiles(data.Path("model"), "*", SearchOption.AllDirectories).ToDictionary(f => f, File.ReadAllBytes);
        // Rank 0 says it trains before it reads the data; three seconds later both ranks are stepping.
        var (code, output, afterKill) = MpiJob.Run(2, Train(data, "model", epochs: 1000), line => line.StartsWith("Training ", StringComparison.Ordinal), (_, ranks) =>
        {
            Thread.Sleep(3000);
            System.Diagnostics.Process.Start("kill", ["-KILL", $"{ranks[1]}"])!.WaitForExit();
        });
        Assert.AreNotEqual(0, code, output);
        StringAssert.Contains(output, "BAD TERMINATION", "The launcher names the rank that died.");
        Assert.IsTrue(afterKill < TimeSpan.FromSeconds(13), $"The job ended {afterKill.TotalSeconds - 3:F1} s after the kill.");
        foreach (var (file, bytes) in before)
            CollectionAssert.AreEqual(bytes, File.ReadAllBytes(file), file);
        Assert.AreEqual(before.Count, Directory.GetFiles(data.Path("model"), "*", SearchOption.AllDirectories).Length);
    }

    [TestMethod]
    public void SigtermToTheLauncherStopsEveryRankAtTheSameStepAndRankZeroKeepsTheWholeEpochs()
    {
        // What Slurm, Kubernetes and Azure ML send to stop a job: every rank stops, the epoch it was in undone, as one process.
        using var data = new TinyData();
        var (code, output, _) = MpiJob.Run(2, Train(data, "model", epochs: 1000), line => line.StartsWith("Training ", StringComparison.Ordinal), (launcher, _) =>
        {
            Thread.Sleep(6000);
            System.Diagnostics.Process.Start("kill", ["-TERM", $"{launcher}"])!.WaitForExit();
        });
        StringAssert.Contains(output, "which was undone; the model of epoch ");
        var history = System.Text.Json.JsonDocument.Parse(File.ReadAllText(data.Path("model", "metrics.json"))).RootElement.GetProperty("History");
        Assert.IsTrue(history.GetArrayLength() is > 0 and < 1000, $"{history.GetArrayLength()} epochs kept:\n{output}");
        Assert.IsTrue(code is 143 or 0, $"exit code {code} (MPICH's launcher reports a forwarded SIGTERM as 143, or sometimes 0):\n{output}");
    }

    [TestMethod]
    public void RanksGivenOtherDataAreNamedBeforeTraining()
    {
        // Rank 1 reads a folder with one more image of each class: the job stops before its first step, nothing written, and
        // every rank removes its temporary folder and the runtime's pipes before the job is aborted.
        using var data = new TinyData();
        using var other = new TinyData();
        string[] Train(string folder) => ["train", "--data", folder, "-e", "1", "-b", "16", "--width", "32", "--depth", "3", "-o", data.Path("model")];
        var (code, output) = MpiJob.RunEach(Directory.CreateDirectory(data.Path("tmp")).FullName, Train(data.IdxFolder(perClassTrain: 40)), Train(other.IdxFolder(perClassTrain: 41)));
        Assert.AreNotEqual(0, code, output);
        StringAssert.Contains(output, "Rank 1 has data whose fingerprint");
        StringAssert.Contains(output, "every rank must train the same network on the same data with the same options (the same command, data folder and seed).");
        Assert.IsFalse(Directory.Exists(data.Path("model")), output);
        CollectionAssert.AreEqual(Array.Empty<string>(), Directory.GetFileSystemEntries(data.Path("tmp")), "Left in TMPDIR.");
    }

    [TestMethod]
    public void RanksGivenAnotherOptionTextOrVerbAreNamedBeforeTraining()
    {
        // The same data with another loss would mix two losses' gradients silently; so would two texts, or two verbs.
        using var data = new TinyData();
        string folder = data.IdxFolder(perClassTrain: 20), tmp = Directory.CreateDirectory(data.Path("tmp")).FullName;
        string[] Train(params string[] more) => ["train", "--data", folder, "-e", "1", "-b", "16", "--width", "32", "--depth", "2", "-o", data.Path("model"), .. more];
        File.WriteAllText(data.Path("a.txt"), TinyLanguageModel.Text);
        File.WriteAllText(data.Path("b.txt"), TinyLanguageModel.Text + "!");
        string[] Lm(string text) => ["lm", "train", "-t", data.Path(text), "--layers", "1", "--heads", "2", "--width", "16", "--context", "8", "-b", "8", "-i", "20",
            "--eval-interval", "10", "--eval-batches", "2", "-o", data.Path("lm")];
        foreach (var (ranks, expected) in new[]
        {
            (new[] { Train(), Train("--loss", "crossentropy") }, "Rank 1 has Loss whose checksum (the first 60 bits of the SHA-256 of its run.json value) is "),
            (new[] { Train(), Train("--seed", "1") }, "Rank 1 has Seed 1, rank 0 0: "),
            (new[] { Train(), ["--version"] }, "error: Rank 1 of the job could not start (its error is printed too), so no rank trains."),
            (new[] { Train(), Train("--bogus") }, "error: Rank 1 of the job could not start (its error is printed too), so no rank trains."),
            (new[] { Lm("a.txt"), Lm("b.txt") }, "Rank 1 has data whose fingerprint"),
            (new[] { Train(), Lm("a.txt") }, "Rank 1 has the verb (1 train, 2 search, 3 lm train) 3, rank 0 1: "),
        })
        {
            var (code, output) = MpiJob.RunEach(tmp, ranks);
            Assert.AreNotEqual(0, code, output);
            StringAssert.Contains(output, expected);
            Assert.IsFalse(Directory.Exists(data.Path("model")) || Directory.Exists(data.Path("lm")), output);
            CollectionAssert.AreEqual(Array.Empty<string>(), Directory.GetFileSystemEntries(tmp), $"Left in TMPDIR by:\n{output}");
        }
    }

    [TestMethod]
    public void TwoRanksSearchTogetherAndWriteOneLeaderboardAndModel()
    {
        // Two configurations a rank: the space of four (depth 2 or 3, width 32 or 64), each tried once at rung 0.
        using var data = new TinyData();
        string folder = data.IdxFolder(perClassTrain: 40, perClassTest: 10);
        var (code, output, _) = MpiJob.Run(2, ["search", "--data", folder, "--architectures", "fcn", "--trials", "2", "--depths", "2", "3", "--widths", "32", "64", "--batch-sizes", "16",
            "--budget", "00:00:20", "-o", data.Path("search")]);
        Assert.AreEqual(0, code, output);
        StringAssert.Contains(output, "trials took");
        StringAssert.Contains(output, "on 2 ranks.");
        Assert.AreEqual(1, Regex.Matches(output, "Best: ").Count, $"Rank 0 alone prints:\n{output}");
        string board = File.ReadAllText(data.Path("search", "leaderboard.md"));
        var firstRung = Regex.Matches(board, @"^\| \d+ \| (FCN depth \d width \d+)[^|]*\| 0 \|", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        CollectionAssert.AreEquivalent(new[] { "FCN depth 2 width 32", "FCN depth 2 width 64", "FCN depth 3 width 32", "FCN depth 3 width 64" }, firstRung,
            $"Both ranks' trials are on the one leaderboard:\n{board}");
        var (evaluated, printed) = Cli.Run(["evaluate", "-m", data.Path("search"), "--data", folder]);
        Assert.AreEqual(0, evaluated, printed);
    }

    [TestMethod]
    public void AnOutputFolderRankZeroCannotWriteEndsEveryRankByItsErrorWithNothingLeft()
    {
        // Only rank 0 checks -o; rank 1 learns that rank 0 failed instead of being killed by its abort.
        using var data = new TinyData();
        string[] train = ["train", "--data", data.IdxFolder(perClassTrain: 20), "-e", "1", "-o", "/proc/agd-model"];
        var (code, output) = MpiJob.RunEach(Directory.CreateDirectory(data.Path("tmp")).FullName, train, train);
        Assert.AreNotEqual(0, code, output);
        StringAssert.Contains(output, "error: The output folder (-o) '/proc/agd-model' cannot be written");
        StringAssert.Contains(output, "error: Rank 0 of the job could not start (its error is printed too), so no rank trains.");
        CollectionAssert.AreEqual(Array.Empty<string>(), Directory.GetFileSystemEntries(data.Path("tmp")), $"Left in TMPDIR by:\n{output}");
    }

    [TestMethod]
    public void ALibraryThatIsNotMpiIsNamed()
    {
        using var data = new TinyData();
        var (code, output) = MpiJob.RunWith(("AGD_MPI_LIBRARY", "libc.so.6"), 2, ["train", "--data", data.IdxFolder(), "-e", "1", "-o", data.Path("model")]);
        Assert.AreEqual(1, code, output);
        StringAssert.Contains(output, "error: 'libc.so.6' is not an MPI library: it has no MPI_Initialized. Set AGD_MPI_LIBRARY to an MPICH-ABI library");
        Assert.IsFalse(output.Contains("Unhandled", StringComparison.Ordinal), output);
    }

    [TestMethod]
    public void AVerbThatRunsInOneProcessIsRefusedOnSeveralRanks()
    {
        using var data = new TinyData();
        var (code, output, _) = MpiJob.Run(2, ["evaluate", "-m", data.Path("none")]);
        Assert.AreNotEqual(0, code, output);
        StringAssert.Contains(output, "'agd evaluate' runs in one process, and this is rank ");
        StringAssert.Contains(output, "only 'agd train', 'agd search' and 'agd lm train' run across MPI ranks (mpiexec -n 2 agd train ...). Run it without mpiexec.");
    }
}

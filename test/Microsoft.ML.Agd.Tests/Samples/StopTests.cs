namespace Microsoft.ML.Agd.Tests.Samples;

/// <summary>Ctrl+C, as a user sends it: SIGINT to an agd process. A model holds whole epochs only; a search keeps its best trial.</summary>
[DoNotParallelize]
[TestClass]
public class StopTests
{
    [TestMethod]
    public void AFirstRunStoppedBeforeItsFirstEpochEndsWritesNoFolder()
    {
        using var data = new TinyData();
        using var stop = new CancellationTokenSource();
        stop.Cancel(); // Ctrl+C before the first batch ends
        string fresh = data.Path("fresh");
        var e = Assert.ThrowsExactly<OperationCanceledException>(() => TrainJob.Run(new TrainSettings { Data = new() { Folder = data.IdxFolder() }, Output = fresh }, null, stop.Token));
        Assert.AreEqual("Stopped before the first epoch ended: no model was written.", e.Message);
        Assert.IsFalse(Directory.Exists(fresh), "A stopped first run writes no folder at all.");
    }

    [TestMethod]
    [TestCategory(TestSetup.Integration)]
    public void CtrlCDuringTheFirstEpochWritesNothingAndLeavesTheEarlierModelByteForByte()
    {
        using var data = new TinyData();
        var (output, before) = ModelFolders.EarlierModel(data);
        // A ResNet epoch over the shipped subset's 3,000 images takes tens of seconds on two cores: the signal, sent as
        // training is announced, lands before the first epoch ends (while the data is read, or in the epoch).
        string subset = Path.Combine(Packaging.DotNet.RepositoryRoot, "data", "fashion-mnist-subset");
        var (code, printed) = Cli.RunAndInterrupt(line => line.StartsWith("Training", StringComparison.Ordinal), TimeSpan.Zero,
            "train", "--data", subset, "-a", "resnet18", "--base-width", "16", "-e", "3", "-o", output);

        Assert.AreEqual(130, code, printed);
        StringAssert.Contains(printed, "Stopped before the first epoch ended: no model was written");
        StringAssert.Contains(printed, "still holds the earlier one");
        ModelFolders.AssertUnchanged(before, output);
        CollectionAssert.AreEqual(new[] { "model" }, Directory.GetFileSystemEntries(data.Root).Select(Path.GetFileName).Where(n => n!.Contains("model")).ToArray(),
            "no staging folder is left beside the model");
    }

    [TestMethod]
    [TestCategory(TestSetup.Integration)]
    public void CtrlCDuringASearchKeepsTheBestTrialSoFar()
    {
        using var data = new TinyData();
        string output = data.Path("search");
        var (code, printed) = Cli.RunAndInterrupt(line => line.Contains("trial 1 ", StringComparison.Ordinal), TimeSpan.Zero,
            "search", "--data", data.IdxFolder(perClassTrain: 10, perClassTest: 5), "--budget", "00:05:00", "--trials", "4", "-o", output);

        Assert.AreEqual(130, code, printed);
        string leaderboard = File.ReadAllText(Path.Combine(output, "leaderboard.md"));
        StringAssert.Contains(leaderboard, "(stopped by Ctrl+C or SIGTERM)");
        Assert.IsFalse(leaderboard.Contains("by the time budget", StringComparison.Ordinal), "a trial that Ctrl+C stopped is not put down to the budget");
        StringAssert.Contains(leaderboard, "| 1 |");
        var folder = new ModelFolder(output);
        Assert.AreEqual(SyntheticImages.Classes.Length, folder.ReadInfo().ClassNames.Count, "the best model is written as train writes one");
    }

    [TestMethod]
    public void ASearchStoppedBeforeAnyTrialEndedWritesNothing()
    {
        using var data = new TinyData();
        string output = data.Path("search");
        using var stop = new CancellationTokenSource();
        stop.Cancel();
        var e = Assert.ThrowsExactly<OperationCanceledException>(() =>
            SearchJob.Run(new SearchSettings { Data = new() { Folder = data.IdxFolder() }, Search = new() { Budget = TimeSpan.FromMinutes(1), InitialTrials = 2 }, Output = output }, null, stop.Token));
        StringAssert.Contains(e.Message, "The search was stopped before any trial finished an epoch: no model was written.");
        Assert.IsFalse(Directory.Exists(output));
    }
}

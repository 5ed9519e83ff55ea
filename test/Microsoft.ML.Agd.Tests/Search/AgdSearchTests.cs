
namespace Microsoft.ML.Agd.Tests.Search;

[TestClass]
public class AgdSearchTests
{
    private static AgdSearchOptions Small(TimeSpan budget, int trials = 4) => new()
    {
        Budget = budget, InitialTrials = trials, InitialEpochs = 2, MaxEpochs = 16, Depths = [2, 3], Widths = [32, 64], BatchSizes = [8, 16], Seed = 3,
    };

    [TestMethod]
    public void SuccessiveHalvingKeepsTheBetterHalfWithTwiceTheEpochsThenTheWinnerTrainsOn()
    {
        var ml = new MLContext(seed: 1);
        var data = DataViews.Prepare(ml, SyntheticImages.Vectors(40, 8, seed: 2));
        var result = ml.MulticlassClassification.Trainers.AgdSearch(Small(TimeSpan.FromMinutes(5), trials: 8)).Fit(data);

        var rungs = result.Trials.GroupBy(t => t.Rung).OrderBy(g => g.Key).ToList();
        CollectionAssert.AreEqual(new[] { 8, 4, 2, 1 }, rungs.Select(g => g.Count()).ToArray());
        CollectionAssert.AreEqual(new[] { 2.0, 4.0, 8.0, 16.0 }, rungs.Select(g => g.First().Epochs).ToArray(), "Epochs in all; the winner trains up to MaxEpochs.");
        for (int r = 1; r < rungs.Count; r++)
        {
            var promoted = rungs[r - 1].OrderByDescending(t => t.ValidationAccuracy).Take(rungs[r].Count()).Select(t => t.Configuration).ToList();
            CollectionAssert.AreEquivalent(promoted, rungs[r].Select(t => t.Configuration).ToList(), $"The better half of rung {r - 1} is promoted.");
        }
        var final = rungs[3].Single();
        Assert.IsTrue(final.BestEpoch is >= 9 and <= 16, "The winner continues from epoch 8 and keeps its best validation epoch.");
        Assert.AreEqual(result.Best.BestEpoch, result.BestModel.Model.Epoch, "The returned model is the best trial's.");

        var board = result.Leaderboard;
        Assert.AreEqual(15, board.Count);
        Assert.IsTrue(board.Zip(board.Skip(1)).All(p => p.First.ValidationAccuracy >= p.Second.ValidationAccuracy));
        Assert.IsTrue(board.All(t => t.Seconds > 0 && t.Epochs > 0 && t.Error is null));
        // The trials ran inside the search's wall time.
        Assert.IsTrue(result.TrialSeconds > 0 && result.TrialSeconds <= result.Elapsed.TotalSeconds, $"{result.TrialSeconds} s of trials in {result.Elapsed.TotalSeconds} s");
        Assert.AreEqual(board.Sum(t => t.Seconds), result.TrialSeconds, 1e-9);

        var metrics = ml.MulticlassClassification.Evaluate(result.BestModel.Transform(data));
        Assert.IsTrue(metrics.MacroAccuracy > 0.6, $"accuracy {metrics.MacroAccuracy}");
        var path = Path.Combine(Path.GetTempPath(), $"agd-search-{Guid.NewGuid():N}.zip");
        ml.Model.Save(result.BestModel, data.Schema, path);
        var loaded = new MLContext().Model.Load(path, out _);
        File.Delete(path);
        Assert.AreEqual(metrics.MacroAccuracy, ml.MulticlassClassification.Evaluate(loaded.Transform(data)).MacroAccuracy, 1e-9);
    }

    [TestMethod]
    public void FirstRungsShorterThanAnEpochTrainOnThatShareOfTheRows()
    {
        var ml = new MLContext(seed: 14);
        var data = DataViews.Prepare(ml, SyntheticImages.Vectors(1400, 4, seed: 15)); // 4,200 rows, 3,780 after validation
        var options = Small(TimeSpan.FromMinutes(5), trials: 8);
        options.InitialEpochs = 0.25;
        options.MaxEpochs = 2;
        options.Widths = [16, 32];
        options.BatchSizes = [64, 128];
        var result = new AgdSearch(options).Fit(data);

        var rungs = result.Trials.GroupBy(t => t.Rung).OrderBy(g => g.Key).ToList();
        CollectionAssert.AreEqual(new[] { 8, 4, 2, 1 }, rungs.Select(g => g.Count()).ToArray());
        // 0.25 of 3,780 rows is 945, under the 1,024 a trial sees at least: the first rung takes 1,024 / 3,780 of an epoch.
        Assert.IsTrue(rungs[0].All(t => Math.Abs(t.Epochs - 1024.0 / 3780) < 0.02), string.Join(", ", rungs[0].Select(t => t.Epochs)));
        Assert.IsTrue(rungs[1].All(t => t.Epochs == 2 * rungs[0].First().Epochs && t.BestEpoch == t.Epochs));
        Assert.IsTrue(rungs[2].All(t => t.Epochs == 1), "twice 0.54 epochs, rounded to whole epochs");
        Assert.AreEqual(2.0, rungs[3].Single().Epochs, "the winner, capped at MaxEpochs");
        Assert.IsTrue(result.Best.ValidationAccuracy > 0.9, $"the search learned the task: {result.Best.ValidationAccuracy}");
    }

    [TestMethod]
    public void TheBudgetEndsTheSearchBeforeItsRungsDo()
    {
        var ml = new MLContext(seed: 4);
        var data = DataViews.Prepare(ml, SyntheticImages.Vectors(40, 8, seed: 5));
        var options = Small(TimeSpan.FromSeconds(6), trials: 16);
        options.InitialEpochs = 20;
        options.Widths = [64, 256];
        var result = new AgdSearch(options).Fit(data);
        // 16 configurations of 20 epochs each, halved rung by rung, take far longer than 6 seconds: the budget, not the
        // rungs, ended the search (without a budget it runs 16 + 8 + 4 + 2 + 1 trials and the final one).
        Assert.IsTrue(result.Trials.Count < 16 * 2, "The budget stopped the search before it finished its rungs.");
    }

    [TestMethod]
    public void AFailedTrialIsRecordedAndSkipped()
    {
        var ml = new MLContext(seed: 6);
        var data = DataViews.Prepare(ml, SyntheticImages.Vectors(10, 8, seed: 7));
        var options = Small(TimeSpan.FromMinutes(5));
        options.Widths = [1 << 30, 16]; // a layer of 2^30 x 64 floats (256 GiB) cannot be allocated
        var result = new AgdSearch(options).Fit(data);
        var failed = result.Trials.Where(t => t.Error is not null).ToList();
        Assert.IsTrue(failed.Count > 0);
        Assert.IsTrue(failed.All(t => t.Configuration.Width == 1 << 30 && t.ValidationAccuracy is null), string.Join("; ", failed));
        Assert.IsTrue(result.Leaderboard.All(t => t.Configuration.Width == 16));
    }

    [TestMethod]
    public void TheSameSeedGivesTheSameSearch()
    {
        var ml = new MLContext(seed: 8);
        var data = DataViews.Prepare(ml, SyntheticImages.Vectors(10, 8, seed: 9));
        string Trace() => string.Join("\n", new AgdSearch(Small(TimeSpan.FromMinutes(5))).Fit(data).Trials.Select(t => $"{t.Configuration} {t.Rung} {t.Epochs} {t.ValidationAccuracy}"));
        Assert.AreEqual(Trace(), Trace());
    }

    [TestMethod]
    public void CancellationReturnsTheBestSoFar()
    {
        var ml = new MLContext(seed: 10);
        var data = DataViews.Prepare(ml, SyntheticImages.Vectors(10, 8, seed: 11));
        using var cancel = new CancellationTokenSource();
        var options = Small(TimeSpan.FromMinutes(5), trials: 8);
        options.Progress = new SynchronousProgress<AgdTrial>(t => { if (t.Number == 2) cancel.Cancel(); });
        options.CancellationToken = cancel.Token;
        var result = new AgdSearch(options).Fit(data);
        Assert.AreEqual(2, result.Trials.Count);
        // The model returned is the better trial's: its epochs and its validation accuracy.
        Assert.AreEqual(result.Trials.Max(t => t.ValidationAccuracy), result.Best.ValidationAccuracy);
        Assert.AreEqual(result.Best.Epochs, result.BestModel.Model.History.Count);
        Assert.AreEqual(result.Best.ValidationAccuracy, result.BestModel.Model.History[result.BestModel.Model.Epoch - 1].ValidationAccuracy);
    }

    [TestMethod]
    public void DefaultFcnWidthsFollowTheImageSize()
    {
        static int[] Widths(long inputSize) => new ConfigurationSpace(new AgdSearchOptions(), imageShapeKnown: false, inputSize)
            .Sample(1000, new Random(0)).Select(c => c.Width).Distinct().Order().ToArray();
        CollectionAssert.AreEqual(new[] { 512, 1024 }, Widths(28 * 28), "Fashion-MNIST: from half to twice 784");
        CollectionAssert.AreEqual(new[] { 2048 }, Widths(3 * 32 * 32), "CIFAR: 1,536 to 6,144, capped at 2,048");
        CollectionAssert.AreEqual(new[] { 128 }, Widths(8 * 8), "tiny images get the narrowest");
        CollectionAssert.AreEqual(new[] { 128, 256 }, Widths(200));
    }

    [TestMethod]
    public void TheDefaultSpaceUsesCrossEntropyAndATrialTrainsWithItsOwnLoss()
    {
        static AgdLoss[] Losses(AgdSearchOptions options) => new ConfigurationSpace(options, imageShapeKnown: false, inputSize: 64)
            .Sample(1000, new Random(0)).Select(c => c.Loss).Distinct().ToArray();
        CollectionAssert.AreEqual(new[] { AgdLoss.CrossEntropy }, Losses(new AgdSearchOptions()));
        CollectionAssert.AreEquivalent(new[] { AgdLoss.Square, AgdLoss.CrossEntropy }, Losses(new AgdSearchOptions { Losses = [AgdLoss.Square, AgdLoss.CrossEntropy] }));

        var ml = new MLContext(seed: 16);
        var data = DataViews.Prepare(ml, SyntheticImages.Vectors(10, 8, seed: 17));
        var options = Small(TimeSpan.FromMinutes(1), trials: 1);
        options.Losses = [AgdLoss.Square];
        var result = new AgdSearch(options).Fit(data);
        Assert.IsTrue(result.Trials.All(t => t.Configuration.Loss == AgdLoss.Square));
        StringAssert.Contains(result.Best.ToString(), "square loss");
    }

    [TestMethod]
    public void ASearchWithOtherOptimizersDrawsEveryConfigurationWithEachAndTrainsWithIt()
    {
        var trained = new List<string>();
        OptimizerChoice Sgd(double rate) => new($"SGD lr {rate}", network => { trained.Add($"SGD lr {rate}"); return TorchSharp.torch.optim.SGD(network.parameters(), rate); });
        var (slow, fast) = (Sgd(1e-3), Sgd(1e-1));
        var agd = new AgdSearchOptions { Depths = [2], Widths = [16, 32], BatchSizes = [8] };
        var other = new AgdSearchOptions { Depths = [2], Widths = [16, 32], BatchSizes = [8], Optimizers = [slow, fast] };
        var agdSpace = new ConfigurationSpace(agd, imageShapeKnown: false, inputSize: 64).Sample(100, new Random(0));
        var otherSpace = new ConfigurationSpace(other, imageShapeKnown: false, inputSize: 64).Sample(100, new Random(0));
        Assert.AreEqual(2, agdSpace.Count);
        Assert.AreEqual(4, otherSpace.Count, "twice as large with two optimizers");
        CollectionAssert.AreEquivalent(agdSpace.SelectMany(c => new[] { c with { Optimizer = slow }, c with { Optimizer = fast } }).ToList(), otherSpace);

        var ml = new MLContext(seed: 18);
        var data = DataViews.Prepare(ml, SyntheticImages.Vectors(10, 8, seed: 19));
        var options = Small(TimeSpan.FromMinutes(1), trials: 2);
        options.Optimizers = [slow, fast];
        var result = new AgdSearch(options).Fit(data);
        Assert.IsTrue(result.Trials.All(t => t.Configuration.Optimizer == slow || t.Configuration.Optimizer == fast), string.Join("; ", result.Trials));
        CollectionAssert.AreEqual(result.Trials.Select(t => t.Configuration.Optimizer!.Name).ToList(), trained, "every trial trained with its own optimizer");
        StringAssert.Contains(result.Best.Configuration.ToString(), ", SGD lr 0.");
    }

    [TestMethod]
    public void EachFamilyKeepsItsBetterHalfUntilOneIsLeftThenTheyMeetAfterTwoEpochs()
    {
        static AgdConfiguration Fcn(int width) => new(AgdArchitecture.Fcn, 2, width, 0, 32);
        static AgdConfiguration ResNet(int batch) => new(AgdArchitecture.ResNet18, 0, 0, 8, batch);
        static AgdTrial Trial(AgdConfiguration c, double accuracy) => new(1, c, 0, 0.125, 0.125, accuracy, 1, 1, null);

        // Every FCN leads every ResNet after an eighth of an epoch: halving the rung as a whole would drop all ResNets.
        var rung = new List<AgdTrial>
        {
            Trial(Fcn(128), 0.70), Trial(Fcn(256), 0.72), Trial(Fcn(512), 0.68), Trial(Fcn(1024), 0.66),
            Trial(ResNet(32), 0.60), Trial(ResNet(64), 0.50), Trial(ResNet(128), 0.30),
        };
        CollectionAssert.AreEqual(new[] { Fcn(256), Fcn(128), ResNet(32), ResNet(64) }, AgdSearch.Promote(rung, 0.125));
        // One FCN left and two ResNets: the ResNets still halve among themselves.
        CollectionAssert.AreEqual(new[] { Fcn(256), ResNet(64) },
            AgdSearch.Promote([Trial(Fcn(256), 0.80), Trial(ResNet(32), 0.70), Trial(ResNet(64), 0.75)], 0.25));
        // One of each: they meet after two whole epochs, not on a fraction of one or on one (or on one where training stops there).
        List<AgdTrial> pair = [Trial(Fcn(256), 0.78), Trial(ResNet(32), 0.72)];
        CollectionAssert.AreEqual(new[] { Fcn(256), ResNet(32) }, AgdSearch.Promote(pair, 0.5));
        CollectionAssert.AreEqual(new[] { Fcn(256), ResNet(32) }, AgdSearch.Promote(pair, 1));
        CollectionAssert.AreEqual(new[] { Fcn(256) }, AgdSearch.Promote(pair, 2));
        CollectionAssert.AreEqual(new[] { Fcn(256) }, AgdSearch.Promote(pair, 1, meetingEpochs: 1));
        // One family: the better half of the rung, as plain successive halving, at any length.
        CollectionAssert.AreEqual(new[] { Fcn(256), Fcn(128) }, AgdSearch.Promote(rung.Take(4).ToList(), 0.125));
    }

    [TestMethod]
    public void FamiliesMeetWithinTheWholeBudgetAndOtherRungsWithinTheExploration()
    {
        var (exploration, budget) = (TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(10));
        AgdConfiguration fcn = new(AgdArchitecture.Fcn, 2, 256, 0, 32), wideFcn = new(AgdArchitecture.Fcn, 2, 512, 0, 32), resNet = new(AgdArchitecture.ResNet18, 0, 0, 8, 64);
        Assert.AreEqual(budget, AgdSearch.RungDeadline([fcn, resNet], exploration, budget), "one of each family: they meet");
        Assert.AreEqual(exploration, AgdSearch.RungDeadline([fcn, wideFcn, resNet], exploration, budget), "the FCNs still halve among themselves");
        Assert.AreEqual(exploration, AgdSearch.RungDeadline([fcn, wideFcn], exploration, budget), "one family");
    }

    [TestMethod]
    public void APaceKeepsATrialsEpochsApartFromItsOwnCost()
    {
        static AgdEpoch Epoch(int number, double seconds) => new(number, 0.5, 0.8, 0.2, 0.5, 0.8, seconds);
        static AgdTrial Trial(double seconds) => new(1, new(AgdArchitecture.Fcn, 2, 256, 0, 32), 0, 1, 1, 0.8, seconds, seconds, null);

        // A quarter of the rows in 2 s of a 10 s trial: an epoch of all the rows takes 8 s, and the trial 8 s besides.
        var quarter = AgdSearch.Pace.Of(Trial(10), [Epoch(1, 2)], share: 0.25);
        Assert.AreEqual(8, quarter.PerEpoch, 1e-12);
        Assert.AreEqual(8, quarter.PerTrial, 1e-12);
        Assert.AreEqual(8 + 3 * 8, quarter.Seconds(3), 1e-12);
        Assert.AreEqual(4, quarter.EpochsWithin(40), "(40 - 8) / 8 whole epochs");
        Assert.AreEqual(3, quarter.EpochsWithin(39.9));

        // Two whole epochs of 30 and 31 s in a 70 s trial: 30.5 s an epoch, 9 s besides.
        var whole = AgdSearch.Pace.Of(Trial(70), [Epoch(1, 30), Epoch(2, 31)], share: 1);
        Assert.AreEqual(30.5, whole.PerEpoch, 1e-12);
        Assert.AreEqual(9, whole.PerTrial, 1e-12);
        Assert.AreEqual(2, whole.EpochsWithin(100), "floor(91 / 30.5)");
        Assert.IsTrue(whole.EpochsWithin(5) < 0, "less time than the trial's own cost: no epoch fits");

        // A trial timed shorter than its epochs (clocks read apart) has no cost of its own, not a negative one.
        Assert.AreEqual(0, AgdSearch.Pace.Of(Trial(59), [Epoch(1, 30), Epoch(2, 31)], share: 1).PerTrial);
    }

    [TestMethod]
    [TestCategory(TestSetup.Integration)]
    public void FamiliesDownToOneEachGoStraightToTwoWholeEpochs()
    {
        var ml = new MLContext(seed: 18);
        var data = DataViews.Prepare(ml, SyntheticImages.Vectors(1400, 8, seed: 19)); // 4,200 rows, 3,780 after validation
        var options = Small(TimeSpan.FromMinutes(5), trials: 4);
        options.Architectures = [AgdArchitecture.Fcn, AgdArchitecture.ResNet18];
        options.ImageShape = new AgdImageShape(1, 8, 8);
        options.BaseWidths = [4];
        options.Depths = [2];
        options.BatchSizes = [64, 128];
        options.InitialEpochs = 0.25;
        options.MaxEpochs = 3;
        var result = new AgdSearch(options).Fit(data);

        var rungs = result.Trials.GroupBy(t => t.Rung).Select(g => g.ToList()).ToList();
        CollectionAssert.AreEqual(new[] { 4, 2, 1 }, rungs.Select(r => r.Count).ToArray());
        Assert.AreEqual(2, rungs[0].Count(t => t.Configuration.Architecture == AgdArchitecture.ResNet18), "Families are taken in turn.");
        foreach (var family in rungs[0].GroupBy(t => t.Configuration.Architecture))
            Assert.AreEqual(family.MaxBy(t => t.ValidationAccuracy)!.Configuration, rungs[1].Single(t => t.Configuration.Architecture == family.Key).Configuration);
        Assert.IsTrue(rungs[1].All(t => t.Epochs == 2), "After 0.27 of an epoch each family's best meets the other's after two whole epochs, not 0.54.");
        Assert.AreEqual(rungs[1].MaxBy(t => t.ValidationAccuracy)!.Configuration, rungs[2].Single().Configuration);
        Assert.AreEqual(3.0, rungs[2].Single().Epochs, "the winner continues its two-epoch model, capped at MaxEpochs");
    }

    [TestMethod]
    public void ResNetsNeedTheImageShape()
    {
        var ml = new MLContext(seed: 12);
        var data = DataViews.Prepare(ml, SyntheticImages.Vectors(5, 8, seed: 13));
        var options = Small(TimeSpan.FromMinutes(1));
        options.Architectures = [AgdArchitecture.ResNet18];
        var e = Assert.ThrowsExactly<ArgumentException>(() => new AgdSearch(options).Fit(data));
        StringAssert.Contains(e.Message, "AgdSearchOptions.ImageShape");
    }
}

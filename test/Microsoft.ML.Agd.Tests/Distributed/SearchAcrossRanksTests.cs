namespace Microsoft.ML.Agd.Tests.Distributed;

/// <summary>A search across ranks (threads here, MPI's processes in a job): each trains its share, all return one result.</summary>
[TestClass]
[DoNotParallelize] // the ranks' threads would otherwise share two cores with other tests' training
public class SearchAcrossRanksTests
{
    [TestMethod]
    public void RanksSearchTheirSharesAndReturnOneLeaderboardAndTheBestModel()
    {
        var results = ThreadRanks.Run(2, ranks =>
        {
            var ml = new MLContext(seed: 1);
            var data = DataViews.Prepare(ml, SyntheticImages.Vectors(40, 8, seed: 2));
            var result = new AgdSearch(new AgdSearchOptions
            {
                Budget = TimeSpan.FromMinutes(5), InitialTrials = 4, InitialEpochs = 2, MaxEpochs = 16, Depths = [2, 3], Widths = [32, 64], BatchSizes = [8, 16],
                Seed = 3, Communicator = ranks,
            }).Fit(data);
            var scores = ml.Data.CreateEnumerable<Scored>(result.BestModel.Transform(data), reuseRowObject: false).SelectMany(r => r.Score).ToArray();
            return (Result: result, Scores: scores, Weights: WeightsAssert.Of(result.BestModel.Model.Network));
        });

        var (first, second) = (results[0].Result, results[1].Result);
        CollectionAssert.AreEqual(first.Trials.ToList(), second.Trials.ToList(), "Every rank returns every rank's trials, numbered alike.");
        CollectionAssert.AreEqual(Enumerable.Range(1, first.Trials.Count).ToList(), first.Trials.Select(t => t.Number).ToList());
        Assert.IsTrue(first.Trials.Zip(first.Trials.Skip(1)).All(p => p.First.FinishedAt <= p.Second.FinishedAt), "Numbered in the order they ended.");
        var firstRung = first.Trials.Where(t => t.Rung == 0).Select(t => t.Configuration).ToList();
        Assert.AreEqual(8, firstRung.Distinct().Count(), "Four configurations a rank: the whole space of eight, each tried once at rung 0.");
        Assert.AreEqual(8, firstRung.Count);
        foreach (var trial in first.Trials.Where(t => t.Rung > 0))
            Assert.IsTrue(first.Trials.Any(t => t.Configuration == trial.Configuration && t.Rung == trial.Rung - 1 && t.ValidationAccuracy is not null),
                $"{trial} was promoted from a result at rung {trial.Rung - 1}.");
        Assert.IsTrue(first.Trials.Count > 8, "Some configurations were promoted.");
        Assert.IsTrue(first.Trials.All(t => t.Error is null));

        Assert.AreEqual(first.Best, second.Best);
        Assert.AreEqual(first.Trials.Max(t => t.ValidationAccuracy), first.Best.ValidationAccuracy);
        Assert.AreEqual(first.Best.BestEpoch, first.BestModel.Model.Epoch, "The best trial's model, on the rank that trained it and on the other.");
        Assert.AreEqual(first.BestModel.Model.Epoch, second.BestModel.Model.Epoch);
        CollectionAssert.AreEqual(first.BestModel.Model.History.ToList(), second.BestModel.Model.History.ToList());
        CollectionAssert.AreEqual(results[0].Weights, results[1].Weights, "The model sent is the model trained, value by value.");
        CollectionAssert.AreEqual(results[0].Scores, results[1].Scores, "And it scores alike, its input statistics included.");
        CollectionAssert.AreEqual(first.BestModel.Model.InputMean.ToList(), second.BestModel.Model.InputMean.ToList());
    }

    private sealed class Scored
    {
        public float[] Score { get; set; } = [];
    }
}

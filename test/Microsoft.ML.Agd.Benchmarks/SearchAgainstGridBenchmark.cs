using Microsoft.ML.Agd.Search;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Benchmarks;

/// <summary>
/// Section 13: the search at the same wall-clock budget with AGD and with Adam, where every Adam configuration also
/// draws its learning rate from the five-value grid (its space five times larger, as an AutoML user's would be). Same
/// data, budget, seeds and promotion rule. Each search's best model on the test set, and the share of its budget that
/// went to configurations that never reached the last rung.
/// </summary>
internal static class SearchAgainstGridBenchmark
{
    public static void Run(Report report, LabelledImageSet train, LabelledImageSet test, TimeSpan budget, IReadOnlyList<int> seeds)
    {
        report.Section("13. Search at the same budget", $"Successive halving for {budget.TotalMinutes:0.#} minutes on {train.Rows.Count} training images " +
            $"(the search holds out its own validation share), best model's test accuracy on {test.Rows.Count} images; Adam draws each configuration's " +
            $"learning rate from {string.Join(", ", CompareSettings.DefaultGrid)}.");
        var rows = new List<IReadOnlyList<string>>();
        var means = new Dictionary<string, List<double>> { ["AGD"] = [], ["Adam"] = [] };
        foreach (int seed in seeds)
            foreach (string optimizer in new[] { "AGD", "Adam" })
            {
                var options = new AgdSearchOptions { Budget = budget, Seed = seed };
                if (optimizer == "Adam")
                    options.Optimizers = [.. CompareSettings.DefaultGrid.Select(lr => new OptimizerChoice($"Adam lr {lr}", network => optim.Adam(network.parameters(), lr)))];
                var ml = new MLContext(seed);
                var result = new AgdSearch(options).Fit(train.LabelKeys(ml).Transform(train.ToDataView(ml)));
                using var best = result.BestModel;
                double accuracy = Evaluation.Of(ml, best, test).Accuracy;
                means[optimizer].Add(accuracy);
                int lastRung = result.Trials.Max(t => t.Rung);
                var reached = result.Trials.Where(t => t.Rung == lastRung).Select(t => t.Configuration).ToHashSet();
                double dropped = result.Trials.Where(t => !reached.Contains(t.Configuration)).Sum(t => t.Seconds);
                rows.Add([$"{seed}", optimizer, $"{accuracy:P2}", result.Best.Configuration.ToString(), $"{result.Trials.Count}",
                    $"{dropped / budget.TotalSeconds:P0}", $"{result.Elapsed.TotalSeconds:F0}"]);
                Console.WriteLine(string.Join(" | ", rows[^1]));
            }
        foreach (var (optimizer, values) in means)
            rows.Add(["mean", optimizer, $"{values.Average():P2}", "", "", "", ""]);
        report.Table(["seed", "optimizer", "best model's test accuracy", "best configuration", "trials", "budget spent on configurations dropped before the last rung", "seconds"], rows);
        double gap = (means["AGD"].Average() - means["Adam"].Average()) * 100;
        report.Verdict("the AGD search's best model at least 1 point above the Adam search's (mean of the seeds)", gap >= 1, $"{gap:+0.00;-0.00} points");
    }
}

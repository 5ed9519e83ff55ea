using System.Globalization;
using Microsoft.ML.Agd.Distributed;
using Microsoft.ML.Agd.Search;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Benchmarks;

/// <summary>
/// Section 20: the search across ranks. The library's search over a space of 18 configurations at one budget, in one
/// process of one libtorch thread against two ranks (<c>mpiexec -n 2</c>) of one thread each, as one machine against
/// two: the best model's test accuracy and the trials each ran.
/// </summary>
internal static class RanksSearchBenchmark
{
    public const string CaseArgument = "--ranks-search-case";

    // A space of 18 configurations (16 FCNs, 2 ResNet-18s): the defaults' 7 are all tried by one process, so a second
    // rank would have none of its own to try.
    private static readonly int[] Depths = [2, 3, 4, 5], Widths = [256, 512, 1024, 2048], BaseWidths = [8, 16];

    public static void Run(Report report, TimeSpan budget, IReadOnlyList<int> seeds)
    {
        report.Section("20. The search across ranks", $"`AgdSearch` over FCN depths {string.Join(", ", Depths)}, widths {string.Join(", ", Widths)} and ResNet-18 base widths " +
            $"{string.Join(", ", BaseWidths)} (18 configurations; the rest as default, 8 first-rung trials a rank) for {budget.TotalMinutes:0.#} minutes on Fashion-MNIST's training images " +
            "(the search holds out its own validation share), one process of one libtorch thread against two ranks (`mpiexec -n 2`) of one thread each; " +
            "the best model's test accuracy. Target: two ranks at least as accurate, with about twice the trials.");
        var rows = new List<IReadOnlyList<string>>();
        foreach (int seed in seeds)
            foreach (int ranks in new[] { 1, 2 })
            {
                var (accuracy, trials, best, seconds) = Measure(ranks, budget, seed);
                rows.Add([$"{seed}", $"{ranks}", $"{accuracy:P2}", $"{trials}", best, $"{seconds:F0}"]);
                Console.WriteLine(string.Join(" | ", rows[^1]));
            }
        report.Table(["seed", "ranks", "best model's test accuracy", "trials", "best configuration", "seconds"], rows,
            $"MPICH on one machine of {Environment.ProcessorCount} cores, each rank one thread.");
    }

    private static (double Accuracy, int Trials, string Best, double Seconds) Measure(int ranks, TimeSpan budget, int seed)
    {
        var result = RankRuns.Run(ranks, CaseArgument, budget.ToString("c", CultureInfo.InvariantCulture), $"{seed}");
        return (double.Parse(result[0], CultureInfo.InvariantCulture), int.Parse(result[1], CultureInfo.InvariantCulture), string.Join(' ', result[3..]),
            double.Parse(result[2], CultureInfo.InvariantCulture));
    }

    /// <summary>One rank's search (under mpiexec, or alone): rank 0 prints "RESULT accuracy trials seconds best-configuration".</summary>
    public static int RunCase(string[] args)
    {
        TorchNative.EnsureLoaded();
        set_num_threads(1);
        using var job = MpiCommunicator.IsLaunched ? MpiCommunicator.Start() : null;
        var (budget, seed) = (TimeSpan.Parse(args[1], CultureInfo.InvariantCulture), int.Parse(args[2], CultureInfo.InvariantCulture));
        var (train, test) = DataSets.Load(null, new AgdImageShape(1, 28, 28), 0.2, 0);
        var ml = new MLContext(seed);
        var options = new AgdSearchOptions { Budget = budget, Seed = seed, Communicator = job, Depths = Depths, Widths = Widths, BaseWidths = BaseWidths };
        var result = new AgdSearch(options).Fit(train.LabelKeys(ml).Transform(train.ToDataView(ml)));
        using var best = result.BestModel;
        if (job is null || job.Rank == 0)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"RESULT {Evaluation.Of(ml, best, test).Accuracy} {result.Trials.Count} {result.Elapsed.TotalSeconds} {result.Best.Configuration}, {result.Best.EpochsText}"));
        return 0;
    }
}

using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Microsoft.ML.Agd.Benchmarks;

/// <summary>
/// Runs every benchmark and writes results.md beside this file's project (or the path given as the first argument);
/// a second argument such as "1,3" runs only those sections, for quick checks (results.md is then not written).
/// <c>--section-12-from chart.png tables.md...</c> draws section 12's heat maps from tables measured in parts.
/// Every figure is a ratio of two things measured side by side in this one run, with the absolute figures beside it.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == DataLoadingBenchmark.CaseArgument)
            return DataLoadingBenchmark.RunCase(args);
        if (args.Length > 0 && args[0] == RanksBenchmark.CaseArgument)
            return RanksBenchmark.RunCase(args);
        if (args.Length > 0 && args[0] == FreedMemoryBenchmark.CaseArgument)
            return FreedMemoryBenchmark.RunCase(args);
        if (args.Length > 0 && args[0] == RanksSearchBenchmark.CaseArgument)
            return RanksSearchBenchmark.RunCase(args);
        if (args.Length > 2 && args[0] == "--section-12-from")
        {
            OutOfTheBoxBenchmark.FromTables(new Report(), args[2..], Path.GetFullPath(args[1])); // the report prints itself
            return 0;
        }
        string output = args.Length > 0 && args[0].Length > 0 ? args[0] : Path.Combine(ProjectFolder(), "results.md");
        var only = args.Length > 1 ? args[1].Split(',').Select(int.Parse).ToHashSet() : null;
        bool Run(int section) => only is null || only.Contains(section);
        TorchNative.EnsureLoaded();
        var report = new Report();
        report.Line($"# Microsoft.ML.Agd benchmarks\n\nRun {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores of {Machine.Cpu}, " +
                    $"{System.Runtime.InteropServices.RuntimeInformation.OSDescription}, TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version}, CPU.");
        var (train, test) = DataSets.Load(null, new AgdImageShape(1, 28, 28), 0.2, 0);
        report.Line($"Data: {train.Description} ({train.Rows.Count} training and {test.Rows.Count} test images).");

        if (Run(1)) StepSection(report);
        if (Run(2)) Measurements.OptimizerMemory(report);
        if (Run(3) || Run(4))
        {
            var loop = Measurements.TrainingThroughput(report, train, test);
            Measurements.ArithmeticEfficiency(report, loop);
        }
        if (Run(5)) Measurements.QualityPerCompute(report, epochs: 3);
        if (Run(6)) Measurements.Prediction(report, train);
        if (Run(7)) ConvolutionRemedyBenchmark.Run(report, train, test);
        if (Run(8)) DataLoadingBenchmark.Run(report);
        // Long runs (hours on 2 cores with ResNet-50), only when asked for by number.
        if (only?.Contains(9) == true) ResidualDepthBenchmark.Run(report, train, test, epochs: 3);
        if (only?.Contains(10) == true) ResidualDepthBenchmark.StepAgainstBound(report, train, test);
        // Seeds from AGD_SEARCH_SEEDS ("2,3" reruns two of them), 1, 2 and 3 unless set.
        if (only?.Contains(13) == true) SearchAgainstGridBenchmark.Run(report, train, test, SearchBudget(), seeds: Seeds("AGD_SEARCH_SEEDS", "1,2,3"));
        if (only?.Contains(12) == true) OutOfTheBoxBenchmark.Run(report, train, test, Path.GetFullPath("out-of-the-box.png"));
        if (only?.Contains(15) == true) OutOfTheBoxBenchmark.Averaged(report, train, test);
        if (only?.Contains(18) == true) SpectralEstimateBenchmark.Run(report, train, test);
        if (only?.Contains(19) == true) RanksBenchmark.Run(report);
        if (only?.Contains(20) == true) RanksSearchBenchmark.Run(report, SearchBudget(), seeds: Seeds("AGD_SEARCH_SEEDS", "1"));
        if (only?.Contains(21) == true) PolarFactorsBenchmark.Run(report);
        if (only?.Contains(22) == true) FreedMemoryBenchmark.Run(report);
        if (only?.Contains(17) == true) EqualWallClockBenchmark.Run(report, train, test, Path.GetFullPath("wall-clock-frontier.png"));
        // Tiny shakespeare (nanoGPT's text), from AGD_SHAKESPEARE or the team's shared folder; section 16's seeds from AGD_LM_SEEDS.
        string shakespeare = Environment.GetEnvironmentVariable("AGD_SHAKESPEARE") ?? "../shared/data/tiny-shakespeare.txt";
        if (only?.Contains(11) == true) LanguageModelBenchmark.Run(report, shakespeare, iterations: 2000);
        if (only?.Contains(16) == true) LanguageModelBenchmark.AttentionDepth(report, shakespeare, iterations: 2000, seeds: Seeds("AGD_LM_SEEDS", "1337,1,2"));
        if (only?.Contains(14) == true) LanguageModelBenchmark.OutputScale(report, shakespeare, iterations: 200);

        if (only is null)
        {
            File.WriteAllText(output, report.Text);
            Console.WriteLine($"Wrote {output}");
        }
        return 0;
    }

    // A search's budget: AGD_SEARCH_MINUTES, or 10.
    private static TimeSpan SearchBudget() => TimeSpan.FromMinutes(double.Parse(Environment.GetEnvironmentVariable("AGD_SEARCH_MINUTES") ?? "10", System.Globalization.CultureInfo.InvariantCulture));

    // Seeds from an environment variable ("2,3"), or the defaults.
    private static List<int> Seeds(string variable, string defaults) => (Environment.GetEnvironmentVariable(variable) ?? defaults).Split(',').Select(int.Parse).ToList();

    private static void StepSection(Report report)
    {
        report.Section("1. Optimizer step", "One `step()` with the gradients in place, BenchmarkDotNet (short run, in process); then the step inside a training loop. Target: AGD at most 1.2x SGD and no slower than Adam.");
        var config = ManualConfig.CreateEmpty()
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddLogger(ConsoleLogger.Default)
            .WithArtifactsPath(Path.Combine(AppContext.BaseDirectory, "BenchmarkDotNet.Artifacts")); // under bin/, not the working folder
        var summary = BenchmarkRunner.Run<OptimizerStepBenchmarks>(config);
        var means = summary.Reports.GroupBy(r => (string)r.BenchmarkCase.Parameters["Network"]).Select(group =>
        {
            double Mean(string method) => group.Single(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == method).ResultStatistics!.Mean / 1e6;
            return (Network: group.Key, Sgd: Mean("Sgd"), Adam: Mean("Adam"), Agd: Mean("Agd"), LibTorch: Mean("AgdLibTorch"), Norms: Mean("AgdNorms"));
        }).ToList();
        var rows = means.SelectMany(m => new[] { ("SGD", m.Sgd), ("Adam", m.Adam), ("AGD", m.Agd), ("AGD: its norms alone", m.Norms), ("AGD with libtorch's operations (its way on a GPU)", m.LibTorch) }.Select(o => (IReadOnlyList<string>)
            [m.Network, o.Item1, $"{o.Item2:F3}", $"{o.Item2 / m.Sgd:F2}x", $"{o.Item2 / m.Adam:F2}x"]));
        report.Table(["network", "optimizer", "ms per step", "vs SGD", "vs Adam"], rows,
            $"CPU: {Machine.Cpu}. AGD's step is its norms (one read of every gradient, which must end before any weight moves: G couples all layers; " +
            "with spectral norms, the default, also one subspace iteration per shape of slice: two more reads of each gradient as narrow matrix products) " +
            "followed by an update that reads the gradient and reads and writes the weight, as SGD's does. The norms, and the updates of " +
            "convolutions and rank-1 parameters, are loops over memory on the calling thread (CpuStep); a matrix's update is one fused libtorch call. The norms' row is that read alone; the last row is the same step with libtorch's " +
            "operations, one or more native calls per layer (TensorStep). The step measured alone flatters threads; the table after it " +
            "measures it inside a training loop.");
        report.Verdict("AGD at most 1.2x SGD", means.All(m => m.Agd <= 1.2 * m.Sgd), string.Join(", ", means.Select(m => $"{m.Network} {m.Agd / m.Sgd:F2}x")));
        report.Verdict("AGD no slower than Adam", means.All(m => m.Agd <= m.Adam), string.Join(", ", means.Select(m => $"{m.Network} {m.Agd / m.Adam:F2}x")));
        StepProfile.Run(report);
    }

    private static string ProjectFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Microsoft.ML.Agd.Benchmarks.csproj")))
                return dir.FullName;
        return Directory.GetCurrentDirectory();
    }
}

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
/// Every figure is a ratio of two things measured side by side in this one run, with the absolute figures beside it.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == DataLoadingBenchmark.CaseArgument)
            return DataLoadingBenchmark.RunCase(args);
        string output = args.Length > 0 && args[0].Length > 0 ? args[0] : Path.Combine(ProjectFolder(), "results.md");
        var only = args.Length > 1 ? args[1].Split(',').Select(int.Parse).ToHashSet() : null;
        bool Run(int section) => only is null || only.Contains(section);
        TorchNative.EnsureLoaded();
        var report = new Report();
        report.Line($"# Microsoft.ML.Agd benchmarks\n\nRun {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores, " +
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

        if (only is null)
        {
            File.WriteAllText(output, report.Text);
            Console.WriteLine($"Wrote {output}");
        }
        return 0;
    }

    private static void StepSection(Report report)
    {
        report.Section("1. Optimizer step", "One `step()` with the gradients in place, BenchmarkDotNet (short run, in process). Target: AGD within 1.5x of SGD and no slower than Adam.");
        var config = ManualConfig.CreateEmpty()
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddLogger(ConsoleLogger.Default)
            .WithArtifactsPath(Path.Combine(AppContext.BaseDirectory, "BenchmarkDotNet.Artifacts")); // under bin/, not the working folder
        var summary = BenchmarkRunner.Run<OptimizerStepBenchmarks>(config);
        var rows = summary.Reports.GroupBy(r => (string)r.BenchmarkCase.Parameters["Network"]).SelectMany(group =>
        {
            double Mean(string method) => group.Single(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == method).ResultStatistics!.Mean / 1e6;
            double sgd = Mean("Sgd"), adam = Mean("Adam"), agd = Mean("Agd"), norms = Mean("AgdNorms");
            return new[] { ("SGD", sgd), ("Adam", adam), ("AGD", agd), ("AGD: its norms alone", norms) }.Select(m => (IReadOnlyList<string>)
                [group.Key, m.Item1, $"{m.Item2:F3}", $"{m.Item2 / sgd:F2}x", $"{m.Item2 / adam:F2}x"]);
        });
        report.Table(["network", "optimizer", "ms per step", "vs SGD", "vs Adam"], rows,
            "AGD's step is its norms (one read of every gradient, which must end before any weight moves: G couples all layers) " +
            "followed by an update that costs what SGD's does (one fused libtorch call per layer). The norms' row is that read alone.");
    }

    private static string ProjectFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Microsoft.ML.Agd.Benchmarks.csproj")))
                return dir.FullName;
        return Directory.GetCurrentDirectory();
    }
}

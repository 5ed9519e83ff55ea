using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.Agd.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Benchmarks;

/// <summary>
/// Section 22: glibc's allocator keeping the memory libtorch frees for reuse (the library's setting, FreedMemory) against
/// glibc's adaptive settings, which hand blocks libtorch aligns for huge pages back to the kernel. Each case runs in a
/// process of its own, the two settings in turn, three times; glibc's own settings are had by naming a malloc tunable
/// (GLIBC_TUNABLES=glibc.malloc.tcache_count=7, its default value), where the library leaves the allocator alone.
/// </summary>
internal static class FreedMemoryBenchmark
{
    public const string CaseArgument = "--freed-memory-case";

    private const int Warmup = 5, Iterations = 30, Repeats = 3;

    private static readonly Dictionary<string, string> s_glibcOwn = new() { ["GLIBC_TUNABLES"] = "glibc.malloc.tcache_count=7" };

    private static readonly AgdStepNorm TrainerStep = new AgdImageClassificationTrainer.Options().StepNorm;

    private sealed record Case(string Name, string Argument, Func<double> Milliseconds);

    private static readonly Case[] s_cases =
    [
        new("a 4 MB tensor allocated and zeroed", "alloc4", () => Allocation(4)),
        new("a 16 MB tensor allocated and zeroed", "alloc16", () => Allocation(16)),
        new("a 48 MB tensor allocated and zeroed", "alloc48", () => Allocation(48)),
        new("FCN depth 4 width 1024, batch 64: iteration with the optimizer's default step (section 1's)", "fcn",
            () => Iteration(() => new Fcn(784, 1024, 4, 10), 64, AgdStepNorm.Spectral)),
        new("the default FCN, batch 512: iteration with the trainer's step", "fcn512",
            () => Iteration(() => new Fcn(784, 512, 3, 10), 512, TrainerStep)),
        new("ResNet-18 base width 16, batch 128: iteration with the trainer's step", "resnet18",
            () => Iteration(() => new PreActResNet(18, 10, 1, 16), 128, TrainerStep)),
    ];

    public static void Run(Report report)
    {
        report.Section("22. Freed memory kept for reuse", $"Median milliseconds ({Iterations} after {Warmup}, {get_num_threads()} libtorch threads, 28x28 random images, cross-entropy) " +
            "and the process's peak resident memory, with glibc's adaptive settings and with the library's (blocks under 64 MB from the heap, up to 128 MB kept at its top). " +
            $"Each case in a process of its own, on a thread-pool thread, the two settings in turn, {Repeats} times; the medians.");
        var rows = new List<IReadOnlyList<string>>();
        foreach (var c in s_cases)
        {
            var runs = Enumerable.Range(0, Repeats).Select(_ => (Own: Parse(RankRuns.Alone(s_glibcOwn, CaseArgument, c.Argument)), Kept: Parse(RankRuns.Alone(new Dictionary<string, string>(), CaseArgument, c.Argument)))).ToList();
            double own = Measurements.Median([.. runs.Select(r => r.Own.Milliseconds)]), kept = Measurements.Median([.. runs.Select(r => r.Kept.Milliseconds)]);
            rows.Add([c.Name, $"{own:F2}", $"{kept:F2}", $"**{own / kept:F2}x**", $"{Measurements.Median([.. runs.Select(r => r.Own.PeakMegabytes)]):F0}", $"{Measurements.Median([.. runs.Select(r => r.Kept.PeakMegabytes)]):F0}"]);
            Console.WriteLine(string.Join(" | ", rows[^1]));
        }
        report.Table(["case", "glibc's settings (ms)", "kept for reuse (ms)", "speed-up", "peak memory, glibc's (MB)", "peak memory, kept (MB)"], rows);
    }

    private static (double Milliseconds, double PeakMegabytes) Parse(string[] result)
        => (double.Parse(result[0], CultureInfo.InvariantCulture), double.Parse(result[1], CultureInfo.InvariantCulture));

    /// <summary>
    /// One case in this process, on a thread-pool thread (whose allocations glibc serves from an arena of its own, as
    /// for an application's worker threads): prints "RESULT milliseconds peak-megabytes".
    /// </summary>
    public static int RunCase(string[] args)
    {
        TorchNative.EnsureLoaded();
        double milliseconds = Task.Run(s_cases.Single(c => c.Argument == args[1]).Milliseconds).Result;
        Console.WriteLine(FormattableString.Invariant($"RESULT {milliseconds} {PeakResidentMegabytes()}"));
        return 0;
    }

    private static double Allocation(int megabytes) => Median(() =>
    {
        using var block = zeros(megabytes * (1L << 20) / sizeof(float));
    });

    private static double Iteration(Func<nn.Module<Tensor, Tensor>> create, int batch, AgdStepNorm norm)
    {
        using var network = create();
        AgdInitialization.Apply(network, new Generator(1));
        using var agd = new AgdOptimizer(network) { Norm = norm };
        var step = new TrainingStep(agd, measureNoise: norm == AgdStepNorm.Polar);
        var generator = new Generator(2);
        using var images = randn([batch, 1, 28, 28], generator: generator);
        using var labels = randint(0, 10, [batch], generator: generator);
        return Median(() => step.Take(batch, (first, count) => (nn.functional.cross_entropy(network.call(images.narrow(0, first, count)), labels.narrow(0, first, count)), null)));
    }

    private static double Median(Action run)
    {
        var times = new List<double>();
        for (int i = 0; i < Warmup + Iterations; i++)
        {
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            run();
            if (i >= Warmup)
                times.Add(clock.Elapsed.TotalMilliseconds);
        }
        return Measurements.Median(times);
    }

    // VmHWM of /proc/self/status, in kB.
    private static double PeakResidentMegabytes()
        => double.Parse(File.ReadLines("/proc/self/status").Single(l => l.StartsWith("VmHWM:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
}

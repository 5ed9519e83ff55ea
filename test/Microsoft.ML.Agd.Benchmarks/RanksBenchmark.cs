using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.Agd.Distributed;
using Microsoft.ML.Agd.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Benchmarks;

/// <summary>
/// Section 19: training across ranks. One rank of one thread against two ranks of one thread each (<c>mpiexec -n 2</c>),
/// each rank stepping on the same number of rows, so that two ranks train twice the rows a step; the library's own step
/// (TrainingStep with its ranks' share, AGD with the trainer's default step, the halves' noise measurement), timed, and
/// the all-reduce's share of it. This machine's speed varies from second to second (a shared virtual machine), so each
/// run's pace is its median step, and the three measurements alternate, repeated, with the median of each ratio kept.
/// </summary>
internal static class RanksBenchmark
{
    public const string CaseArgument = "--ranks-case";

    private const int Warmup = 5, Steps = 40, Repeats = 5;

    private sealed record Network(string Name, string Argument, int RowsPerRank, AgdImageShape Shape, Func<nn.Module<Tensor, Tensor>> Create);

    private static readonly Network[] s_networks =
    [
        new("the default FCN (depth 3, width 512), 28x28", "fcn", 64, new AgdImageShape(1, 28, 28), () => new Fcn(784, 512, 3, 10)),
        new("ResNet-18 base width 16, 28x28", "resnet18", 32, new AgdImageShape(1, 28, 28), () => new PreActResNet(18, 10, 1, 16)),
    ];

    public static void Run(Report report)
    {
        report.Section("19. Training across ranks", $"Images per second of the library's step (the trainer's default, {new AgdImageClassificationTrainer.Options().StepNorm}) on {Steps} steps after {Warmup} (random images, cross-entropy), " +
            "one rank of one libtorch thread against two ranks (`mpiexec -n 2`) of one thread each, each rank computing the same rows a step. " +
            "Target: two ranks at least 1.6x one rank's images per second.");
        var rows = new List<IReadOnlyList<string>>();
        foreach (var network in s_networks)
        {
            var repeats = Enumerable.Range(0, Repeats).Select(_ => (One: Measure(network, ranks: 1), Two: Measure(network, ranks: 2), Apart: Apart(network))).ToList();
            var ratios = repeats.Select(r => r.Two.ImagesPerSecond / r.One.ImagesPerSecond).ToList();
            double ratio = Measurements.Median(ratios);
            rows.Add([network.Name, $"{network.RowsPerRank}", $"{Measurements.Median(repeats.Select(r => r.One.ImagesPerSecond)):F0}", $"{Measurements.Median(repeats.Select(r => r.Two.ImagesPerSecond)):F0}",
                $"**{ratio:F2}x** ({string.Join(", ", ratios.Select(x => $"{x:F2}"))})", $"{Measurements.Median(repeats.Select(r => r.Two.ExchangeShare)):P1}",
                $"{Measurements.Median(repeats.Select(r => r.Apart / r.One.ImagesPerSecond)):F2}x", ratio >= 1.6 ? "met" : "missed"]);
        }
        report.Table(["network", "rows per rank a step", "1 rank images/s", "2 ranks images/s", "2 ranks / 1, median (each repeat)", "all-reduce's share of a step (2 ranks)",
                "2 lone processes at once / 1 (the machine's ceiling)", "target"], rows,
            $"MPICH {Environment.GetEnvironmentVariable("AGD_MPI_LIBRARY") ?? "(libmpich.so.12)"} on one machine of {Environment.ProcessorCount} cores; the all-reduce's share includes waiting for the other rank. " +
            "The ceiling: two one-rank runs started together, sharing nothing but the machine, their images per second summed. " +
            $"Images per second from each run's median step; medians over {Repeats} repeats, each measuring one rank, two ranks and the ceiling in turn.");
    }

    private sealed record Measured(double ImagesPerSecond, double ExchangeShare);

    private static Measured Measure(Network network, int ranks)
    {
        var measured = Of(RankRuns.Run(ranks, CaseArgument, network.Argument));
        Console.WriteLine($"  {network.Argument} on {ranks} rank(s): {measured.ImagesPerSecond:F0} images/s, all-reduce {measured.ExchangeShare:P1}");
        return measured;
    }

    private static Measured Of(string[] result) => new(double.Parse(result[0], CultureInfo.InvariantCulture), double.Parse(result[1], CultureInfo.InvariantCulture));

    // Two one-rank runs at once, each training alone: what two processes of one thread get from this machine.
    private static double Apart(Network network)
    {
        double sum = RankRuns.Together(2, CaseArgument, network.Argument).Sum(r => Of(r).ImagesPerSecond);
        Console.WriteLine($"  {network.Argument} on two lone processes at once: {sum:F0} images/s in all");
        return sum;
    }

    /// <summary>One rank's run (under mpiexec, or alone): rank 0 prints "RESULT images-per-second all-reduce-share".</summary>
    public static int RunCase(string[] args)
    {
        TorchNative.EnsureLoaded();
        set_num_threads(1);
        var network = s_networks.Single(n => n.Argument == args[1]);
        using var job = MpiCommunicator.IsLaunched ? MpiCommunicator.Start() : null;
        var timed = job is null ? null : new TimedRanks(job);
        int size = job?.Size ?? 1;
        using var model = network.Create();
        AgdInitialization.Apply(model, new Generator(1));
        using var agd = new AgdOptimizer(model) { Norm = new AgdImageClassificationTrainer.Options().StepNorm }; // the trainer's step
        using var share = timed is null ? null : new RankShare(timed, CancellationToken.None);
        var step = new TrainingStep(agd, measureNoise: true, share);
        long rows = (long)network.RowsPerRank * size;
        var generator = new Generator(2);
        using var images = randn([rows, network.Shape.Channels, network.Shape.Height, network.Shape.Width], generator: generator);
        using var labels = randint(0, 10, [rows], generator: generator);
        var clock = new Stopwatch();
        var steps = new List<double>();
        for (int s = 0; s < Warmup + Steps; s++)
        {
            if (s == Warmup)
                timed?.Reset();
            clock.Restart();
            using var scope = NewDisposeScope();
            step.Take(rows, (first, count) =>
            {
                var output = model.call(images.narrow(0, first, count));
                return (nn.functional.cross_entropy(output, labels.narrow(0, first, count)), output);
            });
            if (s >= Warmup)
                steps.Add(clock.Elapsed.TotalSeconds);
        }
        if (job is null || job.Rank == 0)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT {rows / Measurements.Median(steps)} {(timed?.Seconds ?? 0) / steps.Sum()}"));
        return 0;
    }

    // The ranks, with the time spent in their all-reduces.
    private sealed class TimedRanks(AgdCommunicator ranks) : AgdCommunicator
    {
        private readonly Stopwatch _clock = new();

        public double Seconds => _clock.Elapsed.TotalSeconds;

        public void Reset() => _clock.Reset();

        public override int Rank => ranks.Rank;

        public override int Size => ranks.Size;

        public override void AllReduceSum(Span<float> values)
        {
            _clock.Start();
            ranks.AllReduceSum(values);
            _clock.Stop();
        }

        public override void Send(int rank, byte[] message) => ranks.Send(rank, message);

        public override byte[]? TryReceive() => ranks.TryReceive();
    }
}

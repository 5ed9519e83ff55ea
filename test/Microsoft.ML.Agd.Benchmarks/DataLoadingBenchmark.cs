using System.Diagnostics;
using Microsoft.ML.Data;

namespace Microsoft.ML.Agd.Benchmarks;

/// <summary>
/// Peak memory and throughput of one training epoch, streamed against in memory, for 1x and 4x the data. Each case runs
/// in a child process of its own (this program with "--data-loading-case"), because a process's peak resident memory
/// only ever grows; the child reports its own peak (VmHWM).
/// </summary>
internal static class DataLoadingBenchmark
{
    public const string CaseArgument = "--data-loading-case";
    private const int BaseRows = 12_500; // 3x32x32 float32: 146 MiB at 1x, 586 MiB at 4x

    public static void Run(Report report)
    {
        report.Section("8. Data larger than memory", "One epoch of the default FCN (batch 64) through `Fit` on a lazily generated IDataView of 3x32x32 images " +
            "(LoadFromEnumerable over an iterator: the rows never exist as a whole, and the view cannot count them), at 1x and 4x " +
            $"{BaseRows:N0} rows. Streaming reads batches through ShuffleRows with a reader thread ahead; in memory reads every row " +
            "into native memory first. Each case is a process of its own; peak is its resident memory's high-water mark (VmHWM), " +
            "images per second are the trainer's epoch (its history), whole Fit in brackets. Targets: streaming's 4x peak within a quarter of its 1x peak; " +
            "streaming at least 0.9x the in-memory throughput.");
        var results = new Dictionary<(AgdDataLoading, int), (double PeakMiB, double EpochRate, double FitRate)>();
        foreach (int scale in new[] { 1, 4 })
            foreach (var loading in new[] { AgdDataLoading.InMemory, AgdDataLoading.Streaming })
                results[(loading, scale)] = Child(loading, BaseRows * scale);
        var rows = new List<IReadOnlyList<string>>();
        foreach (int scale in new[] { 1, 4 })
        {
            var memory = results[(AgdDataLoading.InMemory, scale)];
            var stream = results[(AgdDataLoading.Streaming, scale)];
            rows.Add([$"{scale}x ({BaseRows * scale:N0} rows, {BaseRows * scale * 3072 * 4 / 1048576.0:F0} MiB)", $"{memory.PeakMiB:F0}", $"{stream.PeakMiB:F0}",
                $"{memory.EpochRate:F0} ({memory.FitRate:F0})", $"{stream.EpochRate:F0} ({stream.FitRate:F0})", $"{stream.EpochRate / memory.EpochRate:F2}x"]);
        }
        double growth = results[(AgdDataLoading.Streaming, 4)].PeakMiB / results[(AgdDataLoading.Streaming, 1)].PeakMiB - 1;
        // The data path alone: a linear classifier costs next to nothing, so an epoch's rate is the rate rows arrive at.
        var linearMemory = Child(AgdDataLoading.InMemory, BaseRows * 4, linear: true);
        var linearStream = Child(AgdDataLoading.Streaming, BaseRows * 4, linear: true);
        rows.Add([$"4x, a linear classifier (FCN depth 1): the data path alone", $"{linearMemory.PeakMiB:F0}", $"{linearStream.PeakMiB:F0}",
            $"{linearMemory.EpochRate:F0} ({linearMemory.FitRate:F0})", $"{linearStream.EpochRate:F0} ({linearStream.FitRate:F0})", $"{linearStream.EpochRate / linearMemory.EpochRate:F2}x"]);
        report.Table(["data", "in memory: peak MiB", "streaming: peak MiB", "in memory: images/s", "streaming: images/s", "streaming / in memory"], rows,
            $"Streaming's peak grew {growth:P0} from 1x to 4x. An in-memory epoch does not read the view (it was read once, before; " +
            "the whole Fit in brackets includes that read); a streamed epoch reads it, at the rate the view makes rows (the last row), " +
            "on a core that training would otherwise use.");
        report.Verdict("streaming's 4x peak within a quarter of its 1x peak", growth <= 0.25, $"{growth:P0}");
        double slowest = new[] { 1, 4 }.Min(scale => results[(AgdDataLoading.Streaming, scale)].EpochRate / results[(AgdDataLoading.InMemory, scale)].EpochRate);
        report.Verdict("a streamed epoch at least 0.9x an in-memory one", slowest >= 0.9, $"{slowest:F2}x at the slower scale");
    }

    /// <summary>The child's side: trains one epoch and prints its peak memory and rates on one line.</summary>
    public static int RunCase(string[] args)
    {
        var loading = Enum.Parse<AgdDataLoading>(args[1]);
        int rows = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
        var ml = new MLContext(0);
        var definition = SchemaDefinition.Create(typeof(Row));
        definition[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 3, 32, 32);
        definition[nameof(Row.Label)].ColumnType = new KeyDataViewType(typeof(uint), 10);
        var view = ml.Data.LoadFromEnumerable(Generate(rows), definition);
        var clock = Stopwatch.StartNew();
        bool linear = args.Length > 3 && args[3] == "linear";
        var model = ml.MulticlassClassification.Trainers.Agd(new AgdImageClassificationTrainer.Options { NumberOfEpochs = 1, DataLoading = loading, Depth = linear ? 1 : 3 }).Fit(view).Model;
        double fit = rows / clock.Elapsed.TotalSeconds;
        Console.WriteLine($"RESULT {PeakMiB():F1} {rows / model.History[0].Seconds:F1} {fit:F1}");
        return 0;
    }

    // Images made as the cursor asks, cheaply (a class-dependent pattern plus a slice of a fixed noise table), so that
    // the measurement is of the data path, not of a random number generator.
    private static readonly float[] s_noise = Enumerable.Range(0, 1 << 16).Select(i => (float)new Random(i).NextDouble() * 64).ToArray();

    private static IEnumerable<Row> Generate(int rows)
    {
        for (int i = 0; i < rows; i++)
        {
            uint label = (uint)(i % 10);
            var pixels = new float[3 * 32 * 32];
            int offset = (int)((uint)(i * 7919) % (s_noise.Length - pixels.Length));
            for (int p = 0; p < pixels.Length; p++)
                pixels[p] = s_noise[offset + p] + ((p / 32 + label * 3) % 10 < 5 ? 128 : 0);
            yield return new Row { Features = pixels, Label = label + 1 };
        }
    }

    private sealed class Row
    {
        public float[] Features { get; set; } = [];
        public uint Label { get; set; }
    }

    private static double PeakMiB()
        => long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1],
            System.Globalization.CultureInfo.InvariantCulture) / 1024.0;

    private static (double PeakMiB, double EpochRate, double FitRate) Child(AgdDataLoading loading, int rows, bool linear = false)
    {
        var start = new ProcessStartInfo("dotnet", [typeof(DataLoadingBenchmark).Assembly.Location, CaseArgument, loading.ToString(), rows.ToString(System.Globalization.CultureInfo.InvariantCulture), linear ? "linear" : "fcn"])
            { RedirectStandardOutput = true };
        using var child = Process.Start(start)!;
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        var line = output.Split('\n').Single(l => l.StartsWith("RESULT ", StringComparison.Ordinal)).Split(' ');
        double Field(int i) => double.Parse(line[i], System.Globalization.CultureInfo.InvariantCulture);
        Console.WriteLine($"  {loading} {rows} rows{(linear ? ", linear" : "")}: peak {Field(1):F0} MiB, {Field(2):F0} images/s");
        return (Field(1), Field(2), Field(3));
    }
}

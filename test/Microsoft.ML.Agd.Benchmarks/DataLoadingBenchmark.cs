using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.Data;
using SkiaSharp;

namespace Microsoft.ML.Agd.Benchmarks;

/// <summary>
/// Peak memory and throughput of training, streamed against in memory, for 1x and 4x the data, on two sources: a lazily
/// generated IDataView and a generated image folder. Each case runs in a child process of its own (this program with
/// "--data-loading-case"), because a process's peak resident memory only ever grows; the child reports its own peak (VmHWM).
/// </summary>
internal static class DataLoadingBenchmark
{
    public const string CaseArgument = "--data-loading-case";
    private const int ViewRows = 50_000; // 3x32x32 float32: 586 MiB at 1x, 2,344 MiB at 4x (the sizes issue 17 measured)
    // 32x32 PNG files: 70 MiB at 1x, 281 MiB at 4x as float32; 1x already fills streaming's 64 MiB shuffle buffer, as the view's 1x does.
    private const int FolderImages = 6_000;
    private const string Lazy = "lazy";
    private static readonly AgdImageShape s_shape = new(3, 32, 32);

    private sealed record Source(string Name, string Argument, int BaseRows, string Network, string NetworkName);

    private sealed record Measured(double PeakMiB, double FirstEpoch, double SecondEpoch);

    public static void Run(Report report)
    {
        report.Section("8. Data larger than memory",
            "Two epochs through `Fit`, streamed (`DataLoading = Streaming`: a shuffle buffer, a reader thread ahead) against in memory " +
            "(`InMemory`: every row read into native memory first, then shuffled by index), at 1x and 4x the data, on two sources: a lazily " +
            "generated IDataView of 3x32x32 images (LoadFromEnumerable over an iterator: the rows never exist as a whole, and the view cannot " +
            "count or shuffle them) with the default FCN, and a generated folder of 32x32 PNG images (read as `agd train` reads a folder: " +
            "file names in a list, each image decoded when a cursor reads it) with ResNet-18 of base width 8. Each case is a process of its own, " +
            "run three times in turn with the other; the median run's rates and the highest peak are shown. Peak is the process's resident high-water mark (VmHWM); images per " +
            "second are the trainer's epochs (its history). The first epoch also pays one-time costs (JIT, allocator) that in-memory training " +
            "paid while reading, so the ratio is taken on the second. Targets: streaming's 4x peak within a quarter of its 1x peak; a streamed " +
            "epoch at least 0.9x an in-memory one.");
        string folder = Path.Combine(Path.GetTempPath(), $"agd-benchmark-images-{Environment.ProcessId}");
        try
        {
            var sources = new[]
            {
                new Source("lazy view", Lazy, ViewRows, "fcn", "FCN (default)"),
                new Source("image folder", folder, FolderImages, "resnet18", "ResNet-18, base width 8"),
            };
            WriteImageFolders(folder, FolderImages);
            var rows = new List<IReadOnlyList<string>>();
            var growths = new List<string>();
            var ratios = new List<(string Case, double Ratio)>();
            bool flat = true;
            var sourceRates = sources.ToDictionary(s => s, SourceRate);
            foreach (var source in sources)
            {
                var streamedPeaks = new double[2];
                foreach (int scale in new[] { 1, 4 })
                {
                    var (memory, stream) = MedianOfThree(source, scale);
                    int count = source.BaseRows * scale;
                    double ratio = stream.SecondEpoch / memory.SecondEpoch;
                    // Where reading cannot overlap training, an epoch takes training's time plus the source's.
                    double serial = 1 / (1 + memory.SecondEpoch / sourceRates[source]);
                    rows.Add([$"{source.Name}, {scale}x ({count:N0} images, {count * s_shape.Size * 4 / 1048576.0:N0} MiB)", source.NetworkName,
                        $"{memory.PeakMiB:F0}", $"{stream.PeakMiB:F0}", $"{memory.FirstEpoch:F0}, {memory.SecondEpoch:F0}",
                        $"{stream.FirstEpoch:F0}, {stream.SecondEpoch:F0}", $"{ratio:F3}x", $"{serial:F3}x"]);
                    ratios.Add(($"{source.Name} {scale}x", ratio));
                    streamedPeaks[scale == 1 ? 0 : 1] = stream.PeakMiB;
                }
                double growth = streamedPeaks[1] / streamedPeaks[0] - 1;
                flat &= growth <= 0.25;
                growths.Add($"{source.Name} {growth:P0}");
            }
            report.Table(["data", "network", "in memory: peak MiB", "streaming: peak MiB", "in memory: images/s (epochs 1, 2)",
                "streaming: images/s (epochs 1, 2)", "streaming / in memory (epoch 2)", "the same if reading never overlapped training"], rows,
                "A streamed epoch reads its source again; in-memory training keeps every core busy (this machine has " +
                $"{Environment.ProcessorCount}), so reading can only overlap it where training leaves a core idle. How fast each source " +
                "makes rows on one thread, with no training: " + string.Join(", ", sources.Select(s => $"{s.Name} {sourceRates[s]:N0} rows/s")) +
                ". The last column is the ratio an epoch would have if reading and training took turns: in-memory time plus the source's time.");
            report.Verdict("streaming's 4x peak within a quarter of its 1x peak", flat, string.Join(", ", growths));
            var slowest = ratios.MinBy(r => r.Ratio);
            report.Verdict("a streamed epoch at least 0.9x an in-memory one", slowest.Ratio >= 0.9,
                string.Join(", ", ratios.Select(r => $"{r.Case} {r.Ratio:F3}x")));
        }
        finally
        {
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The child's side: trains two epochs and prints its peak memory and the epochs' rates on one line.</summary>
    public static int RunCase(string[] args)
    {
        var loading = Enum.Parse<AgdDataLoading>(args[1]);
        string source = args[2];
        int count = int.Parse(args[3], CultureInfo.InvariantCulture);
        var ml = new MLContext(0);
        var options = new AgdImageClassificationTrainer.Options { NumberOfEpochs = 2, DataLoading = loading, BatchSize = 64 };
        if (args[4] == "resnet18")
            (options.Architecture, options.BaseWidth) = (AgdArchitecture.ResNet18, 8);
        var model = ml.MulticlassClassification.Trainers.Agd(options).Fit(Load(ml, source, count)).Model;
        Console.WriteLine(FormattableString.Invariant($"RESULT {PeakMiB():F1} {count / model.History[0].Seconds:F1} {count / model.History[1].Seconds:F1}"));
        return 0;
    }

    private static IDataView Load(MLContext ml, string source, int count)
    {
        if (source != Lazy)
        {
            var images = ImageFolder.Load(Path.Combine(source, count.ToString(CultureInfo.InvariantCulture)), s_shape);
            return images.LabelKeys(ml).Transform(images.ToDataView(ml));
        }
        var definition = SchemaDefinition.Create(typeof(Row));
        definition[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 3, 32, 32);
        definition[nameof(Row.Label)].ColumnType = new KeyDataViewType(typeof(uint), 10);
        return ml.Data.LoadFromEnumerable(Generate(count), definition);
    }

    // Images made as the cursor asks, cheaply (a slice of a fixed noise table plus a class-dependent pattern, one
    // vectorised add), so that the measurement is of the trainer's data path more than of the view's arithmetic.
    private static readonly float[] s_noise = Enumerable.Range(0, 1 << 16).Select(i => (float)new Random(i).NextDouble() * 64).ToArray();
    private static readonly float[][] s_patterns = Enumerable.Range(0, 10).Select(Pattern).ToArray();

    private static float[] Pattern(int label) => Enumerable.Range(0, (int)s_shape.Size).Select(p => (p / 32 + label * 3) % 10 < 5 ? 128f : 0f).ToArray();

    private static IEnumerable<Row> Generate(int rows)
    {
        for (int i = 0; i < rows; i++)
        {
            uint label = (uint)(i % 10);
            var pixels = new float[s_shape.Size];
            int offset = (int)((uint)(i * 7919) % (s_noise.Length - pixels.Length));
            System.Numerics.Tensors.TensorPrimitives.Add(s_noise.AsSpan(offset, pixels.Length), s_patterns[label], pixels);
            yield return new Row { Features = pixels, Label = label }; // LoadFromEnumerable stores a key field's value v as key v + 1
        }
    }

    private sealed class Row
    {
        public float[] Features { get; set; } = [];
        public uint Label { get; set; }
    }

    // Two folders, of 1x and 4x the images, each with ten class folders of PNGs: the class's pattern plus noise.
    private static void WriteImageFolders(string folder, int baseImages)
    {
        var random = new Random(1);
        foreach (int count in new[] { baseImages, 4 * baseImages })
            for (int i = 0; i < count; i++)
            {
                int label = i % 10;
                string classFolder = Path.Combine(folder, count.ToString(CultureInfo.InvariantCulture), $"class{label}");
                Directory.CreateDirectory(classFolder);
                byte Level(int channel, int pixel) => (byte)(s_patterns[label][channel * 1024 + pixel] + random.Next(64));
                using var bitmap = new SKBitmap(32, 32) { Pixels = Enumerable.Range(0, 1024).Select(p => new SKColor(Level(0, p), Level(1, p), Level(2, p))).ToArray() };
                using var file = File.Create(Path.Combine(classFolder, $"{i:D6}.png"));
                bitmap.Encode(file, SKEncodedImageFormat.Png, 100);
            }
    }

    // Rows per second a cursor reads from the source on one thread, with nothing else to do: the second of two passes.
    private static double SourceRate(Source source)
    {
        var ml = new MLContext(0);
        var data = Load(ml, source.Argument, source.BaseRows);
        double rate = 0;
        for (int pass = 0; pass < 2; pass++)
        {
            var clock = Stopwatch.StartNew();
            using var cursor = data.GetRowCursor(data.Schema);
            var features = cursor.GetGetter<VBuffer<float>>(data.Schema["Features"]);
            VBuffer<float> row = default;
            int read = 0;
            while (cursor.MoveNext())
            {
                features(ref row);
                read++;
            }
            rate = read / clock.Elapsed.TotalSeconds;
        }
        return rate;
    }

    // Three runs of each, in turn; the median run's rates (by the second epoch) and the highest peak.
    private static (Measured Memory, Measured Stream) MedianOfThree(Source source, int scale)
    {
        var loadings = new[] { AgdDataLoading.InMemory, AgdDataLoading.Streaming };
        var runs = Enumerable.Repeat(loadings, 3).SelectMany(l => l).Select(loading => (loading, Measured: Child(loading, source, source.BaseRows * scale))).ToList();
        Measured Median(AgdDataLoading loading)
        {
            var all = runs.Where(r => r.loading == loading).Select(r => r.Measured).OrderBy(m => m.SecondEpoch).ToList();
            return all[1] with { PeakMiB = all.Max(m => m.PeakMiB) };
        }
        return (Median(AgdDataLoading.InMemory), Median(AgdDataLoading.Streaming));
    }

    private static double PeakMiB()
        => long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1],
            CultureInfo.InvariantCulture) / 1024.0;

    private static Measured Child(AgdDataLoading loading, Source source, int count)
    {
        var start = new ProcessStartInfo("dotnet", [typeof(DataLoadingBenchmark).Assembly.Location, CaseArgument, loading.ToString(),
            source.Argument, count.ToString(CultureInfo.InvariantCulture), source.Network]) { RedirectStandardOutput = true };
        using var child = Process.Start(start)!;
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        var line = output.Split('\n').Single(l => l.StartsWith("RESULT ", StringComparison.Ordinal)).Split(' ');
        double Field(int i) => double.Parse(line[i], CultureInfo.InvariantCulture);
        Console.WriteLine($"  {source.Name} {loading} {count} images: peak {Field(1):F0} MiB, {Field(2):F0} then {Field(3):F0} images/s");
        return new Measured(Field(1), Field(2), Field(3));
    }
}

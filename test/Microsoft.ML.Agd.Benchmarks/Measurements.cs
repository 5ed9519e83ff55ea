using System.Diagnostics;
using Microsoft.ML.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Benchmarks;

/// <summary>The benchmarks whose unit is a whole run (training, prediction), timed with a stopwatch side by side.</summary>
internal static class Measurements
{
    /// <summary>The middle value (the mean of the two middle ones for an even count): what a run of noisy timings is read by.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>What the FCN's training measured (the bare loop and the trainer's epochs), reused for the arithmetic efficiency.</summary>
    public sealed record LoopThroughput(long ParametersPerImage, double LoopImagesPerSecond, double TrainerImagesPerSecond, int BatchSize);

    public static void OptimizerMemory(Report report)
    {
        report.Section("2. Optimizer memory", "State an optimizer keeps between steps on ResNet-18 (base width 64, 11.2M parameters, 44.7 MB of float32): " +
            "the tensors alive after constructing it and taking three steps that were not alive before (TorchSharp counts every tensor it creates on this thread). " +
            "Optimizer state is parameter-shaped, so the bytes are the count in copies of the weights.");
        var rows = new List<IReadOnlyList<string>>();
        foreach (string name in new[] { "AGD", "SGD (momentum 0.9)", "Adam" })
        {
            torch.manual_seed(0);
            using var network = new PreActResNet(18, classes: 10, inputChannels: 3, baseWidth: 64);
            foreach (var p in network.parameters())
                p.grad = randn_like(p).DetachFromDisposeScope();
            var parameters = network.parameters().ToList();
            long weightBytes = parameters.Sum(p => p.numel() * 4);
            long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            Func<double> step = name switch
            {
                "AGD" => Steps(new AgdOptimizer(network)),
                "Adam" => Steps(optim.Adam(parameters, 1e-4)),
                _ => Steps(optim.SGD(parameters, 0.01, momentum: 0.9)),
            };
            for (int i = 0; i < 3; i++)
                step();
            long extra = DisposeScopeManager.Statistics.ThreadTotalLiveCount - before;
            double copies = (double)extra / parameters.Count;
            rows.Add([name, $"{extra}", $"{copies:F2}", $"{copies * weightBytes / 1048576.0:F1}"]);
        }
        report.Table(["optimizer", "extra live tensors", "copies of the weights", "extra MiB"], rows,
            "Expected: AGD none, SGD with momentum one copy of the weights, Adam two (its step counters are plain numbers, not tensors).");
    }

    private static Func<double> Steps(optim.Optimizer optimizer) => () => { optimizer.step(); return 0; };

    // Runs of each side in section 3; the fastest counts.
    private const int Rounds = 3;

    public static LoopThroughput TrainingThroughput(Report report, LabelledImageSet train, LabelledImageSet test)
    {
        report.Section("3. Training throughput", "Images per second of the ML.NET trainer (`Fit`, which reads the IDataView, trains and builds the scoring chain) " +
            "against the same training loop driven directly on tensors already in memory (as `compare` drives it), with the same network, batch size and AGD. Targets: the trainer's epochs at least 0.95x, the whole Fit at least 0.9x. " +
            "An untimed warm-up on 1,000 images comes first, one epoch of each, so one-time costs of the process (thread pools, allocator, JIT, ONNX Runtime) fall on neither. " +
            $"The machine is shared, so each is measured {Rounds} times, which goes first alternating from round to round, and the fastest of its runs is reported.");
        var rows = new List<IReadOnlyList<string>>();
        var ratios = new List<(string Network, double Epochs, double Fit)>();
        LoopThroughput? fcn = null;
        foreach (var (name, options, rowsUsed, epochs) in new[]
        {
            ("FCN (default)", new AgdImageClassificationTrainer.Options { BatchSize = 64 }, train.Rows.Count, 3),
            ("ResNet-18 base width 16", new AgdImageClassificationTrainer.Options { Architecture = AgdArchitecture.ResNet18, BatchSize = 64 }, Math.Min(6000, train.Rows.Count), 1),
        })
        {
            var subset = train with { Rows = train.Rows.Take(rowsUsed).ToList() };
            WarmUp(train with { Rows = train.Rows.Take(1000).ToList() }, test, options);
            options.NumberOfEpochs = epochs;
            var loops = new List<double>();
            var trainers = new List<(double PerEpoch, double Whole, long Parameters)>();
            for (int round = 0; round < Rounds; round++)
            {
                // Which goes first alternates, so that neither always meets the machine in the same state.
                if (round % 2 == 0)
                    loops.Add(LoopRate(subset, test, options));
                trainers.Add(TrainerRate(subset, options));
                if (round % 2 == 1)
                    loops.Add(LoopRate(subset, test, options));
            }
            double loop = loops.Max(), perEpoch = trainers.Max(t => t.PerEpoch), whole = trainers.Max(t => t.Whole);
            rows.Add([name, $"{rowsUsed} x {epochs}", $"{loop:F0}", $"{perEpoch:F0}", $"{perEpoch / loop:F2}x", $"{whole:F0}", $"{whole / loop:F2}x"]);
            ratios.Add((name, perEpoch / loop, whole / loop));
            if (options.Architecture == AgdArchitecture.Fcn)
                fcn = new LoopThroughput(trainers[0].Parameters, loop, perEpoch, options.BatchSize!.Value);
        }
        report.Table(["network", "images x epochs", "bare loop (images/s)", "trainer's epochs (images/s)", "epochs / loop", "whole Fit (images/s)", "Fit / loop"], rows,
            "The trainer's epochs are timed by its own history; the whole Fit adds reading the IDataView once and building the ML.NET scoring chain.");
        report.Verdict("trainer's epochs at least 0.95x the bare loop", ratios.All(r => r.Epochs >= 0.95), string.Join(", ", ratios.Select(r => $"{r.Network} {r.Epochs:F2}x")));
        report.Verdict("whole Fit at least 0.9x the bare loop", ratios.All(r => r.Fit >= 0.9), string.Join(", ", ratios.Select(r => $"{r.Network} {r.Fit:F2}x")));
        return fcn!;
    }

    // Images per second of the bare loop over options.NumberOfEpochs epochs.
    private static double LoopRate(LabelledImageSet data, LabelledImageSet test, AgdImageClassificationTrainer.Options options)
    {
        using var harness = new BaselineTraining(data, test with { Rows = test.Rows.Take(100).ToList() }, options);
        using var network = harness.InitialNetwork();
        var loop = harness.Loop(network, new AgdOptimizer(network));
        var clock = Stopwatch.StartNew();
        loop.Run(harness.Train, null, 0, options.NumberOfEpochs, _ => { }, default);
        return data.Rows.Count * options.NumberOfEpochs / clock.Elapsed.TotalSeconds;
    }

    // Images per second of the trainer's epochs (its own history) and of its whole Fit.
    private static (double PerEpoch, double Whole, long Parameters) TrainerRate(LabelledImageSet data, AgdImageClassificationTrainer.Options options)
    {
        var ml = new MLContext(0);
        var view = data.LabelKeys(ml).Transform(data.ToDataView(ml));
        var clock = Stopwatch.StartNew();
        var model = ml.MulticlassClassification.Trainers.Agd(options).Fit(view).Model;
        double whole = data.Rows.Count * options.NumberOfEpochs / clock.Elapsed.TotalSeconds;
        double perEpoch = data.Rows.Count * options.NumberOfEpochs / model.History.Sum(e => e.Seconds);
        long parameters = model.Network.parameters().Sum(p => p.numel());
        model.Network.Dispose();
        return (perEpoch, whole, parameters);
    }

    private static void WarmUp(LabelledImageSet rows, LabelledImageSet test, AgdImageClassificationTrainer.Options options)
    {
        options.NumberOfEpochs = 1;
        LoopRate(rows, test, options);
        TrainerRate(rows, options);
    }

    public static void ArithmeticEfficiency(Report report, LoopThroughput fcn)
    {
        report.Section("4. Arithmetic efficiency", "FCN training's achieved FLOP/s (6 FLOPs per weight per image: 2 forward, 4 backward) against the " +
            "matrix-multiply peak of the same libtorch on this machine (float32 2048x2048 matmul, the fastest of three timed blocks). Target: at least 60%.");
        double peak = MatmulPeak(2048);
        double batchPeak = MatmulPeak(fcn.BatchSize, 512, 512);
        double loop = 6.0 * fcn.ParametersPerImage * fcn.LoopImagesPerSecond, trainer = 6.0 * fcn.ParametersPerImage * fcn.TrainerImagesPerSecond;
        report.Table(["measure", "GFLOP/s", "share of peak"],
        [
            ["matmul 2048x2048 (peak)", $"{peak / 1e9:F1}", "100%"],
            [$"matmul {fcn.BatchSize}x512 by 512x512 (the FCN's shape at its batch size)", $"{batchPeak / 1e9:F1}", $"{batchPeak / peak:P0}"],
            [$"FCN training, ML.NET trainer's epochs, batch {fcn.BatchSize} ({fcn.ParametersPerImage:N0} weights, {fcn.TrainerImagesPerSecond:F0} images/s)", $"{trainer / 1e9:F1}", $"{trainer / peak:P0}"],
            [$"FCN training, bare loop ({fcn.LoopImagesPerSecond:F0} images/s)", $"{loop / 1e9:F1}", $"{loop / peak:P0}"],
        ]);
        report.Verdict("at least 60% of the peak", trainer >= 0.6 * peak, $"trainer {trainer / peak:P0}, bare loop {loop / peak:P0}");
    }

    private static double MatmulPeak(long rows, long inner = -1, long columns = -1)
    {
        inner = inner < 0 ? rows : inner;
        columns = columns < 0 ? rows : columns;
        using var a = randn(rows, inner);
        using var b = randn(inner, columns);
        for (int i = 0; i < 3; i++)
            a.matmul(b).Dispose();
        int repeats = (int)Math.Max(5, 1e10 / (2.0 * rows * inner * columns));
        // The fastest of three timed blocks: on a shared machine a slow block would understate the peak.
        double fastest = double.MaxValue;
        for (int block = 0; block < 3; block++)
        {
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < repeats; i++)
                a.matmul(b).Dispose();
            fastest = Math.Min(fastest, clock.Elapsed.TotalSeconds);
        }
        return repeats * 2.0 * rows * inner * columns / fastest;
    }

    public static void QualityPerCompute(Report report, int epochs)
    {
        report.Section("5. Quality per compute", $"AGD's one run against Adam and SGD over the learning-rate grid (the `compare` verb's code), {epochs} epochs each, same network, initial weights and batch order.");
        var comparison = CompareJob.Run(new CompareSettings { Train = new TrainSettings { Trainer = new() { NumberOfEpochs = epochs } } });
        report.Line(comparison.ToMarkdown());
    }

    public static void Prediction(Report report, LabelledImageSet train)
    {
        report.Section("6. Prediction", "Rows per second of a `PredictionEngine` (one row at a time) and of a batch `Transform` over the whole set, " +
            "for a trained FCN and ResNet-18 (base width 16; the network runs in ONNX Runtime inside the ML.NET model).");
        var rows = new List<IReadOnlyList<string>>();
        var subset = train with { Rows = train.Rows.Take(2000).ToList() };
        foreach (var (name, architecture) in new[] { ("FCN (default)", AgdArchitecture.Fcn), ("ResNet-18 base width 16", AgdArchitecture.ResNet18) })
        {
            var ml = new MLContext(0);
            var keys = subset.LabelKeys(ml);
            var model = ml.MulticlassClassification.Trainers.Agd(new AgdImageClassificationTrainer.Options { Architecture = architecture, NumberOfEpochs = 1, BatchSize = 64 })
                .Fit(keys.Transform(subset.ToDataView(ml)));
            var engine = ml.Model.CreatePredictionEngine<Input, Output>(model, inputSchemaDefinition: Input.Schema(subset.Shape));
            var inputs = subset.Rows.Select(r => new Input { Features = r.Features }).ToList();
            // Each way is timed on its second pass over the rows, once its code is compiled and its buffers exist.
            foreach (var input in inputs)
                engine.Predict(input);
            var clock = Stopwatch.StartNew();
            foreach (var input in inputs)
                engine.Predict(input);
            double single = inputs.Count / clock.Elapsed.TotalSeconds;
            // The same decoded pixels for both (the subset's rows decode their image each time they are read).
            var decoded = ml.Data.LoadFromEnumerable(inputs, Input.Schema(subset.Shape));
            ScoreAll(model, decoded);
            clock.Restart();
            long count = ScoreAll(model, decoded);
            double batch = count / clock.Elapsed.TotalSeconds;
            var (one, many) = NetworkAlone(model.Model, inputs);
            rows.Add([name, $"{single:F0}", $"{batch:F0}", $"{batch / single:F2}x", $"{one:F0}", $"{many:F0}", $"{many / one:F2}x"]);
        }
        report.Table(["model", "PredictionEngine (rows/s)", "Transform (rows/s)", "Transform / engine", "network alone, 1 row a run (rows/s)", "network alone, 256 rows a run", "256 / 1"], rows,
            $"CPU: {Machine.Cpu}. Transform runs the network in ONNX Runtime on 256 rows at a time (BatchScoring), the engine on one. " +
            "The last three columns time the same ONNX model in ONNX Runtime alone: the most batching can give.");
        report.Verdict("Transform at least 2x the engine's rows per second", rows.All(r => double.Parse(r[3].TrimEnd('x'), System.Globalization.CultureInfo.InvariantCulture) >= 2),
            string.Join(", ", rows.Select(r => $"{r[0]} {r[3]}")));
    }

    // Rows per second of the network's ONNX model in ONNX Runtime alone, run on 1 row and on 256 rows at a time.
    private static (double One, double Many) NetworkAlone(AgdModel model, IReadOnlyList<Input> inputs)
    {
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(model.ToOnnx("features"));
        int size = inputs[0].Features.Length;
        double RowsPerSecond(int batch)
        {
            var pixels = new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(inputs.Take(batch).SelectMany(i => i.Features).ToArray(), [batch, size]);
            void Run() { using var _ = session.Run([Microsoft.ML.OnnxRuntime.NamedOnnxValue.CreateFromTensor("features", pixels)], [OnnxExport.ScoresOutput]); }
            Run();
            int runs = Math.Max(1, inputs.Count / batch);
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < runs; i++)
                Run();
            return runs * batch / clock.Elapsed.TotalSeconds;
        }
        return (RowsPerSecond(1), RowsPerSecond(256));
    }

    // Reads every row's score, as Evaluate or a caller's loop would.
    private static long ScoreAll(ITransformer model, IDataView data)
    {
        var scored = model.Transform(data);
        long count = 0;
        using var cursor = scored.GetRowCursor(scored.Schema.Where(c => c.Name == "Score"));
        var getter = cursor.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
        VBuffer<float> score = default;
        while (cursor.MoveNext())
        {
            getter(ref score);
            count++;
        }
        return count;
    }

    public sealed class Input
    {
        public float[] Features { get; set; } = [];

        public static SchemaDefinition Schema(AgdImageShape shape)
        {
            var definition = SchemaDefinition.Create(typeof(Input));
            definition[nameof(Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, shape.Channels, shape.Height, shape.Width);
            return definition;
        }
    }

    public sealed class Output
    {
        public float[] Score { get; set; } = [];
    }

}

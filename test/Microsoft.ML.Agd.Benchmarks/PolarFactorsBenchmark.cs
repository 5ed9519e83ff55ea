using System.Diagnostics;
using Microsoft.ML.Agd.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Benchmarks;

/// <summary>
/// Section 21: the trainer's polar step when linear layers are factorised from their gradients' factors D^T A (the
/// optimizer made for the network, as the trainer makes it) against the same step from the gradients (the optimizer made
/// for the network's plan, which keeps no factors). The library's training step (halves, noise scale) on random images
/// with cross-entropy, two copies of one network stepping in turn, so that the machine's changes of speed fall on both.
/// </summary>
internal static class PolarFactorsBenchmark
{
    private const int Warmup = 3, Steps = 30;

    private static readonly (string Name, Func<nn.Module<Tensor, Tensor>> Create)[] s_networks =
    [
        ("the default FCN (depth 3, width 512)", () => new Fcn(784, 512, 3, 10)),
        ("FCN depth 8, width 256 (section 12)", () => new Fcn(784, 256, 8, 10)),
    ];

    public static void Run(Report report)
    {
        report.Section("21. The polar step from linear layers' factors", $"Median milliseconds of a training iteration (forward and backward by halves, the trainer's polar step) " +
            $"over {Steps} iterations after {Warmup}, {get_num_threads()} libtorch threads, 28x28 random images: the optimizer made for the network (linear layers " +
            "factorised from D^T A where the batch's rows are at most half a layer's shorter side) and the optimizer made for its plan (every layer from its gradient).");
        var rows = new List<IReadOnlyList<string>>();
        foreach (var (name, create) in s_networks)
            foreach (int batch in new[] { 32, 64, 128, 256 })
            {
                var (factored, plain, layers) = Measure(create, batch);
                rows.Add([name, $"{batch}", $"{plain:F1}", $"{factored:F1}", $"**{plain / factored:F2}x**", $"{layers}"]);
                Console.WriteLine(string.Join(" | ", rows[^1]));
            }
        report.Table(["network", "batch", "from the gradients (ms)", "from the factors (ms)", "speed-up", "layers from their factors"], rows);
    }

    private static (double Factored, double Plain, int Layers) Measure(Func<nn.Module<Tensor, Tensor>> create, int batch)
    {
        using var a = create();
        using var b = create();
        AgdInitialization.Apply(a, new Generator(1));
        b.load_state_dict(a.state_dict());
        using var factored = new AgdOptimizer(a) { Norm = AgdStepNorm.Polar };
        using var plain = new AgdOptimizer(AgdPlan.Of(b)) { Norm = AgdStepNorm.Polar };
        var runs = new[] { (Network: a, Step: new TrainingStep(factored, measureNoise: true), Times: new List<double>()), (Network: b, Step: new TrainingStep(plain, measureNoise: true), Times: new List<double>()) };
        var generator = new Generator(2);
        for (int s = 0; s < Warmup + Steps; s++)
        {
            using var scope = NewDisposeScope();
            var (images, labels) = (randn([batch, 1, 28, 28], generator: generator), randint(0, 10, [batch], generator: generator));
            foreach (var (network, step, times) in runs)
            {
                var clock = Stopwatch.StartNew();
                step.Take(batch, (first, count) => (nn.functional.cross_entropy(network.call(images.narrow(0, first, count)), labels.narrow(0, first, count)), null));
                if (s >= Warmup)
                    times.Add(clock.Elapsed.TotalMilliseconds);
            }
        }
        return (Measurements.Median(runs[0].Times), Measurements.Median(runs[1].Times), factored.FactoredLayers);
    }
}

using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Benchmarks;

/// <summary>
/// Where one AGD step's time goes, phase by phase, with its passes as libtorch operations (before) and in place (after),
/// beside SGD's whole step on the same parameters: medians of many steps, measured in one run.
/// </summary>
internal static class StepProfile
{
    private const int Steps = 40;

    public static void Run(Report report)
    {
        var rows = new List<IReadOnlyList<string>>();
        foreach (var (name, build) in new (string, Func<nn.Module<Tensor, Tensor>>)[]
        {
            ("FCN depth 4 width 1024", () => new Fcn(inputSize: 784, width: 1024, depth: 4, classes: 10)),
            ("ResNet-18 base width 64", () => new PreActResNet(18, classes: 10, inputChannels: 3, baseWidth: 64)),
        })
        {
            torch.manual_seed(0);
            using var network = build();
            foreach (var p in network.parameters())
                p.grad = randn_like(p).DetachFromDisposeScope();
            var agd = new AgdOptimizer(network);
            var sgd = optim.SGD(network.parameters(), 0.01);
            double sgdStep = Median(() => sgd.step());
            foreach (bool inPlace in new[] { false, true })
            {
                var phases = Profile(agd, inPlace);
                double step = phases.Sum();
                rows.Add([name, inPlace ? "in place (after)" : "libtorch operations (before)",
                    .. phases.Select(t => $"{t:F3}"), $"{step:F3}", $"{sgdStep:F3}", $"{step / sgdStep:F2}x"]);
            }
        }
        report.Table(["network", "AGD's passes", "gradient handles ms", "norms ms", "G, eta, factors ms", "update ms", "AGD step ms", "SGD step ms", "AGD / SGD"], rows,
            $"CPU: {Machine.Cpu}, {get_num_threads()} libtorch threads. Median of {Steps} steps per phase. Gradient handles: TorchSharp's " +
            "wrappers for each .grad; norms: the squared norm of every slice on the host; then host arithmetic; update: every weight and " +
            "rank-1 parameter moved.");
    }

    // Median milliseconds of each phase: handles, norms, host arithmetic, update.
    private static double[] Profile(AgdOptimizer agd, bool inPlace)
    {
        var times = Enumerable.Range(0, 4).Select(_ => new List<double>()).ToArray();
        for (int i = 0; i < Steps + 5; i++)
        {
            using var noGrad = torch.no_grad();
            using var scope = torch.NewDisposeScope();
            var clock = Stopwatch.StartNew();
            var layers = agd.Layers.Where(l => l.Weight.grad is not null).ToList();
            _ = CpuStep.CanRun(layers);
            var t0 = clock.Elapsed.TotalMilliseconds;
            var squares = inPlace ? CpuStep.SquaredNorms(layers) : TensorStep.SquaredNorms(layers);
            var t1 = clock.Elapsed.TotalMilliseconds;
            var (_, factors) = agd.Factors(layers, squares);
            var t2 = clock.Elapsed.TotalMilliseconds;
            if (inPlace)
                CpuStep.Update(layers, factors);
            else
                TensorStep.Update(layers, factors);
            var t3 = clock.Elapsed.TotalMilliseconds;
            if (i >= 5)
                foreach (var (list, t) in times.Zip(new[] { t0, t1 - t0, t2 - t1, t3 - t2 }))
                    list.Add(t);
        }
        return times.Select(t => t.Order().ElementAt(t.Count / 2)).ToArray();
    }

    private static double Median(Action action)
    {
        for (int i = 0; i < 5; i++)
            action();
        var times = Enumerable.Range(0, Steps).Select(_ => { var clock = Stopwatch.StartNew(); action(); return clock.Elapsed.TotalMilliseconds; });
        return times.Order().ElementAt(Steps / 2);
    }
}

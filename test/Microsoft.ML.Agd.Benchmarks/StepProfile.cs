using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Benchmarks;

/// <summary>
/// Where a training iteration's time goes, phase by phase, with SGD, with AGD's passes in place (as users get it) and
/// with AGD's passes as libtorch operations (its way on a GPU): the optimizer's step measured where it runs, right after a
/// backward pass, not on its own. Medians of many iterations, all in one run.
/// </summary>
internal static class StepProfile
{
    private const int Iterations = 30, Warmup = 5;
    private static readonly string[] s_phases = ["zero gradients", "forward and loss", "backward", "step"];

    public static void Run(Report report)
    {
        var rows = new List<IReadOnlyList<string>>();
        foreach (var (name, build, input) in new (string, Func<nn.Module<Tensor, Tensor>>, long[])[]
        {
            ("FCN depth 4 width 1024, batch 64", () => new Fcn(inputSize: 784, width: 1024, depth: 4, classes: 10), [64, 1, 28, 28]),
            ("ResNet-18 base width 64, batch 16", () => new PreActResNet(18, classes: 10, inputChannels: 3, baseWidth: 64), [16, 3, 32, 32]),
        })
        {
            torch.manual_seed(0);
            using var network = build();
            using var images = rand(input);
            using var labels = randint(10, input[0]);
            var agd = new AgdOptimizer(network);
            var sgd = new Samples.Jobs.TorchOptimizerStep(optim.SGD(network.parameters(), 1e-4), 1e-4);
            var results = new (string Optimizer, IOptimizerStep Step)[]
            {
                ("SGD", sgd), ("AGD in place", agd), ("AGD with libtorch's operations", new LibTorchAgd(agd)),
            }.Select(o => (o.Optimizer, Phases: Profile(network, o.Step, images, labels))).ToList();
            double sgdStep = results[0].Phases[^1], sgdIteration = results[0].Phases.Sum();
            foreach (var (optimizer, phases) in results)
                rows.Add([name, optimizer, .. phases.Select(t => $"{t:F3}"), $"{phases[^1] / sgdStep:F2}x", $"{phases.Sum():F3}", $"{phases.Sum() / sgdIteration:F2}x"]);
        }
        report.Table(["network", "optimizer", .. s_phases.Select(p => $"{p} ms"), "step / SGD's", "iteration ms", "iteration / SGD's"], rows,
            $"CPU: {Machine.Cpu}, {get_num_threads()} libtorch threads. Median of {Iterations} training iterations per phase, after {Warmup} untimed; " +
            "the same network and batch for every optimizer (cross-entropy on random images).");
    }

    // Median milliseconds of each phase of a training iteration.
    private static double[] Profile(nn.Module<Tensor, Tensor> network, IOptimizerStep optimizer, Tensor images, Tensor labels)
    {
        var times = s_phases.Select(_ => new List<double>()).ToArray();
        for (int i = 0; i < Warmup + Iterations; i++)
        {
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            optimizer.ZeroGrad();
            var t0 = clock.Elapsed.TotalMilliseconds;
            var loss = nn.functional.cross_entropy(network.call(images), labels);
            _ = loss.item<float>();
            var t1 = clock.Elapsed.TotalMilliseconds;
            loss.backward();
            var t2 = clock.Elapsed.TotalMilliseconds;
            optimizer.Step();
            var t3 = clock.Elapsed.TotalMilliseconds;
            if (i >= Warmup)
                foreach (var (list, t) in times.Zip(new[] { t0, t1 - t0, t2 - t1, t3 - t2 }))
                    list.Add(t);
        }
        return times.Select(t => t.Order().ElementAt(t.Count / 2)).ToArray();
    }

    private sealed class LibTorchAgd(AgdOptimizer agd) : IOptimizerStep
    {
        void IOptimizerStep.ZeroGrad() => agd.ZeroGrad();

        double IOptimizerStep.Step() => agd.Step(agd.Layers, inPlace: false);
    }
}

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
        var partRows = new List<IReadOnlyList<string>>();
        foreach (var (name, build, input) in s_networks)
        {
            torch.manual_seed(0);
            using var network = build();
            using var images = rand(input);
            using var labels = randint(10, input[0]);
            var agd = new AgdOptimizer(network);
            var results = new (string Optimizer, optim.Optimizer Step)[]
            {
                ("SGD", optim.SGD(network.parameters(), 1e-4)), ("AGD in place", agd),
                ("AGD with libtorch's operations", new Tests.TestData.ActionOptimizer(agd.parameters(), () => agd.Step(agd.Plan.Layers, inPlace: false))),
            }.Select(o => (o.Optimizer, Phases: Profile(network, o.Step, images, labels), Tensors: TensorsPerStep(network, o.Step, images, labels))).ToList();
            double sgdStep = results[0].Phases[^1], sgdIteration = results[0].Phases.Sum();
            foreach (var (optimizer, phases, tensors) in results)
                rows.Add([name, optimizer, .. phases.Select(t => $"{t:F3}"), $"{phases[^1] / sgdStep:F2}x", $"{phases.Sum():F3}", $"{phases.Sum() / sgdIteration:F2}x", $"{tensors}"]);
            var parts = ProfileParts(network, agd, images, labels);
            partRows.Add([name, .. parts.Select(t => $"{t:F3}"), $"{parts.Sum() - parts[1]:F3}", $"{sgdStep:F3}", $"{parts[2] / sgdStep:F2}x"]);
        }
        report.Table(["network", "optimizer", .. s_phases.Select(p => $"{p} ms"), "step / SGD's", "iteration ms", "iteration / SGD's", "tensors the step creates"], rows,
            $"CPU: {Machine.Cpu}, {get_num_threads()} libtorch threads. Median of {Iterations} training iterations per phase, after {Warmup} untimed; " +
            "the same network and batch for every optimizer (cross-entropy on random images). The tensors the step creates (TorchSharp's count of " +
            "tensor handles, over one step): each is a native call that returns a tensor, so on a GPU at least that many launches; in-place calls, " +
            "which return none, come on top.");
        report.Table(["network", .. s_parts.Select(p => $"{p} ms"), "step ms (all but the gathering, which the estimate includes)", "SGD's step ms", "spectral estimate / SGD's step"], partRows,
            "AGD's step in place, part by part, each part timed right after a backward pass (medians, as above). The squared norms are one read " +
            "of every gradient (CpuStep); the spectral estimate (SpectralNorms.Of) gathers each shape's slices into one tensor (a copy, except a " +
            "lone matrix's view; its own column times that alone) and runs one subspace iteration on them (two narrow batched products, a QR " +
            "and an 8 x 8 generalised eigenproblem per slice); the factors are host arithmetic; the update reads the gradient and reads and writes the weight, as SGD's does.");
    }

    private static readonly (string Name, Func<nn.Module<Tensor, Tensor>> Build, long[] Input)[] s_networks =
    [
        ("FCN depth 4 width 1024, batch 64", () => new Fcn(inputSize: 784, width: 1024, depth: 4, classes: 10), [64, 1, 28, 28]),
        ("ResNet-18 base width 64, batch 16", () => new PreActResNet(18, classes: 10, inputChannels: 3, baseWidth: 64), [16, 3, 32, 32]),
    ];

    private static readonly string[] s_parts = ["squared norms", "slices gathered", "spectral estimate", "factors", "update"];

    // Median milliseconds of each part of AGD's in-place step, each iteration's parts run in order on fresh gradients.
    private static double[] ProfileParts(nn.Module<Tensor, Tensor> network, AgdOptimizer agd, Tensor images, Tensor labels)
    {
        using var spectral = new SpectralNorms();
        return Medians(clock =>
        {
            agd.zero_grad();
            nn.functional.cross_entropy(network.call(images), labels).backward();
            using var noGrad = no_grad();
            var layers = agd.Plan.Layers;
            clock.Restart();
            var squares = CpuStep.SquaredNorms(layers);
            var t0 = clock.Elapsed.TotalMilliseconds;
            using (NewDisposeScope())
                _ = SpectralNorms.Batches(layers);
            var t1 = clock.Elapsed.TotalMilliseconds;
            var norms = spectral.Of(layers, squares);
            var t2 = clock.Elapsed.TotalMilliseconds;
            var (_, factors) = agd.Factors(layers, squares, norms);
            var t3 = clock.Elapsed.TotalMilliseconds;
            CpuStep.Update(layers, factors);
            return [t0, t1, t2, t3, clock.Elapsed.TotalMilliseconds];
        });
    }

    // Median milliseconds of each phase of a training iteration.
    private static double[] Profile(nn.Module<Tensor, Tensor> network, optim.Optimizer optimizer, Tensor images, Tensor labels)
        => Medians(clock =>
        {
            optimizer.zero_grad();
            var t0 = clock.Elapsed.TotalMilliseconds;
            var loss = nn.functional.cross_entropy(network.call(images), labels);
            _ = loss.item<float>();
            var t1 = clock.Elapsed.TotalMilliseconds;
            loss.backward();
            var t2 = clock.Elapsed.TotalMilliseconds;
            optimizer.step();
            return [t0, t1, t2, clock.Elapsed.TotalMilliseconds];
        });

    // Tensor handles created by one step, by TorchSharp's own count.
    private static long TensorsPerStep(nn.Module<Tensor, Tensor> network, optim.Optimizer optimizer, Tensor images, Tensor labels)
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        nn.functional.cross_entropy(network.call(images), labels).backward();
        var statistics = DisposeScopeManager.Statistics.TensorStatistics;
        long before = statistics.CreatedInScopeCount + statistics.CreatedOutsideScopeCount;
        optimizer.step();
        return statistics.CreatedInScopeCount + statistics.CreatedOutsideScopeCount - before;
    }

    // Runs an iteration Warmup + Iterations times, each in its own dispose scope with a started clock, which returns the
    // clock's reading at the end of each of its parts; the median of each part's duration over the timed iterations.
    private static double[] Medians(Func<Stopwatch, double[]> iteration)
    {
        var durations = new List<double[]>();
        for (int i = 0; i < Warmup + Iterations; i++)
        {
            using var scope = NewDisposeScope();
            var ends = iteration(Stopwatch.StartNew());
            if (i >= Warmup)
                durations.Add(ends.Select((end, k) => end - (k == 0 ? 0 : ends[k - 1])).ToArray());
        }
        return Enumerable.Range(0, durations[0].Length).Select(k => durations.Select(d => d[k]).Order().ElementAt(durations.Count / 2)).ToArray();
    }
}

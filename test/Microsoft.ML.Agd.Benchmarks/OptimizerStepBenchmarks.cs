using BenchmarkDotNet.Attributes;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Benchmarks;

/// <summary>One optimizer step on the parameters of the paper's networks, gradients already in place.</summary>
public class OptimizerStepBenchmarks
{
    private nn.Module<Tensor, Tensor> _network = null!;
    private AgdOptimizer _agd = null!;
    private optim.Optimizer _sgd = null!, _adam = null!;

    /// <summary>Which network's parameter shapes.</summary>
    [Params("FCN depth 4 width 1024", "ResNet-18 base width 64")]
    public string Network { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        TorchNative.EnsureLoaded();
        torch.manual_seed(0);
        _network = Network.StartsWith("FCN", StringComparison.Ordinal)
            ? new Fcn(inputSize: 784, width: 1024, depth: 4, classes: 10)
            : new PreActResNet(18, classes: 10, inputChannels: 3, baseWidth: 64);
        foreach (var p in _network.parameters())
            p.grad = randn_like(p).DetachFromDisposeScope();
        _agd = new AgdOptimizer(_network);
        _sgd = optim.SGD(_network.parameters(), 0.01);
        _adam = optim.Adam(_network.parameters(), 1e-4);
        _adam.step(); // Adam's two state buffers exist from the first step on
    }

    /// <summary>TorchSharp's SGD (no momentum): one fused update per parameter.</summary>
    [Benchmark(Baseline = true)]
    public void Sgd() => _sgd.step();

    /// <summary>TorchSharp's Adam.</summary>
    [Benchmark]
    public void Adam() => _adam.step();

    /// <summary>AGD as users get it: its two passes over memory in place (CpuStep).</summary>
    [Benchmark]
    public Tensor Agd() => _agd.step();

    /// <summary>AGD with its passes as libtorch operations, one or more native calls per layer (TensorStep): its way on a GPU, or for float64.</summary>
    [Benchmark]
    public double AgdLibTorch() => _agd.Step(_agd.Plan.Layers, inPlace: false);

    /// <summary>The part of AGD's step that SGD has no counterpart for: one read of every gradient for its norms.</summary>
    [Benchmark]
    public int AgdNorms()
    {
        using var scope = torch.NewDisposeScope();
        return CpuStep.SquaredNorms(_agd.Plan.Layers).Length;
    }

    [GlobalCleanup]
    public void Cleanup() => _network.Dispose();
}

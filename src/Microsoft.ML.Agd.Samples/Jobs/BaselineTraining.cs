using System.Diagnostics;
using Microsoft.ML.Agd.Samples.Data;
using TorchSharp;
using static TorchSharp.torch;
using Microsoft.ML.Agd.Models;
using Microsoft.ML.Agd.Native;
using Microsoft.ML.Agd.Optim;
using Microsoft.ML.Agd.Training;

namespace Microsoft.ML.Agd.Samples.Jobs;

/// <summary>One optimizer's run: its curve and summary.</summary>
public sealed record OptimizerRun(Optimizer Optimizer, double? LearningRate, IReadOnlyList<EpochPoint> Curve, double Seconds, bool Diverged)
{
    /// <summary>"AGD", or the optimizer and its learning rate.</summary>
    public string Name => LearningRate is { } lr ? $"{Display} lr={lr:0.#####}" : Display;

    private string Display => Optimizer == Optimizer.Agd ? "AGD" : Optimizer == Optimizer.Sgd ? "SGD" : "Adam";
    /// <summary>Test accuracy after the last epoch (chance level once diverged).</summary>
    public double FinalTestAccuracy => Curve.Count == 0 ? 0 : Curve[^1].TestAccuracy;
    /// <summary>Best test accuracy over the epochs.</summary>
    public double BestTestAccuracy => Curve.Count == 0 ? 0 : Curve.Max(p => p.TestAccuracy);
    /// <summary>Training loss of the last epoch (NaN once diverged).</summary>
    public double FinalTrainLoss => Diverged || Curve.Count == 0 ? double.NaN : Curve[^1].TrainLoss;
}

/// <summary>An epoch of a run.</summary>
public sealed record EpochPoint(int Epoch, double TrainLoss, double TestAccuracy, double Seconds);

/// <summary>
/// A plain, hand-written TorchSharp training loop (no ML.NET): the same network, initial weights, loss and batch order
/// for every optimizer, so that AGD, Adam and SGD are compared on equal terms.
/// </summary>
public sealed class BaselineTraining : IDisposable
{
    private readonly Tensor _trainImages, _trainLabels, _testImages, _testLabels;
    private readonly AgdImageClassificationTrainer.Options _network;
    private readonly AgdImageShape _shape;
    private readonly int _classes, _batchSize, _seed;

    /// <summary>Holds both sets in memory as tensors.</summary>
    public BaselineTraining(LabelledImageSet train, LabelledImageSet test, AgdImageClassificationTrainer.Options network)
    {
        TorchNative.EnsureLoaded();
        (_trainImages, _trainLabels) = Tensors(train);
        (_testImages, _testLabels) = Tensors(test);
        (_network, _shape, _classes, _batchSize, _seed) = (network, train.Shape, train.ClassNames.Count, network.BatchSize, network.Seed);
    }

    /// <summary>Training images.</summary>
    public long TrainCount => _trainLabels.shape[0];

    /// <summary>
    /// A fresh network with AGD's initial weights for the seed, standardizing its input with the training set's
    /// statistics as the trainer's networks do: every optimizer starts from the same one and sees the same input.
    /// </summary>
    public nn.Module<Tensor, Tensor> InitialNetwork()
    {
        var network = StandardizedNetwork.Measure(_network.CreateNetwork(_shape, _classes), _trainImages);
        new AgdOptimizer(network).InitializeWeights(new Generator((ulong)_seed));
        return network;
    }

    /// <summary>Trains with AGD.</summary>
    public OptimizerRun Agd(int epochs, CancellationToken cancellation = default)
    {
        var network = InitialNetwork();
        var agd = new AgdOptimizer(network, _network.Gain);
        return Run(Optimizer.Agd, null, network, agd.ZeroGrad, () => agd.Step(), epochs, cancellation);
    }

    /// <summary>Trains with one of TorchSharp's optimizers (Adam or SGD) at a learning rate.</summary>
    public OptimizerRun Baseline(Optimizer optimizer, double learningRate, int epochs, CancellationToken cancellation = default)
    {
        var network = InitialNetwork();
        optim.Optimizer step = optimizer switch
        {
            Optimizer.Adam => optim.Adam(network.parameters(), learningRate),
            Optimizer.Sgd => optim.SGD(network.parameters(), learningRate),
            _ => throw new ArgumentOutOfRangeException(nameof(optimizer), optimizer, "Adam or SGD."),
        };
        return Run(optimizer, learningRate, network, step.zero_grad, () => { step.step(); return learningRate; }, epochs, cancellation);
    }

    private OptimizerRun Run(Optimizer name, double? learningRate, nn.Module<Tensor, Tensor> network, Action zeroGrad, Func<double> step, int epochs, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        var generator = new Generator((ulong)_seed);
        var curve = new List<EpochPoint>();
        for (int epoch = 1; epoch <= epochs && !cancellation.IsCancellationRequested; epoch++)
        {
            double loss = TrainEpoch(network, zeroGrad, step, generator);
            if (!double.IsFinite(loss))
                return new OptimizerRun(name, learningRate, curve, clock.Elapsed.TotalSeconds, Diverged: true);
            curve.Add(new EpochPoint(epoch, loss, TestAccuracy(network), clock.Elapsed.TotalSeconds));
        }
        network.Dispose();
        return new OptimizerRun(name, learningRate, curve, clock.Elapsed.TotalSeconds, Diverged: false);
    }

    /// <summary>One epoch of mini-batch training; returns the mean loss, NaN as soon as it is not finite.</summary>
    public double TrainEpoch(nn.Module<Tensor, Tensor> network, Action zeroGrad, Func<double> step, Generator generator)
    {
        network.train();
        using var order = randperm(TrainCount, generator: generator);
        double sum = 0;
        for (long start = 0; start < TrainCount; start += _batchSize)
        {
            using var scope = NewDisposeScope();
            var rows = order.narrow(0, start, Math.Min(_batchSize, TrainCount - start));
            if (rows.shape[0] < 2)
                break;
            zeroGrad();
            var output = network.call(_trainImages.index_select(0, rows));
            var loss = _network.Loss.Compute(output, _trainLabels.index_select(0, rows));
            double value = loss.item<float>();
            if (!double.IsFinite(value))
                return double.NaN;
            loss.backward();
            step();
            sum += value * rows.shape[0];
        }
        return sum / TrainCount;
    }

    private double TestAccuracy(nn.Module<Tensor, Tensor> network)
    {
        network.eval();
        using var noGrad = no_grad();
        long correct = 0, count = _testLabels.shape[0];
        for (long start = 0; start < count; start += 1000)
        {
            using var scope = NewDisposeScope();
            long size = Math.Min(1000, count - start);
            correct += network.call(_testImages.narrow(0, start, size)).argmax(1).eq(_testLabels.narrow(0, start, size)).sum().item<long>();
        }
        return (double)correct / count;
    }

    private static (Tensor Images, Tensor Labels) Tensors(LabelledImageSet set)
    {
        var index = set.ClassNames.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => (long)p.i);
        var pixels = set.Rows.SelectMany(r => r.Features).ToArray();
        return (tensor(pixels, [set.Rows.Count, set.Shape.Channels, set.Shape.Height, set.Shape.Width]), tensor(set.Rows.Select(r => index[r.Label]).ToArray()));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _trainImages.Dispose();
        _trainLabels.Dispose();
        _testImages.Dispose();
        _testLabels.Dispose();
    }
}

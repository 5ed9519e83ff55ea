using Microsoft.ML.Agd.Data;
using Microsoft.ML.Agd.Models;
using Microsoft.ML.Agd.Native;
using Microsoft.ML.Agd.Optim;
using Microsoft.ML.Agd.Training;
using Microsoft.ML.Agd.Samples.Data;
using System.Diagnostics;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Samples.Jobs;

/// <summary>One optimizer's run: its curve and summary.</summary>
internal sealed record OptimizerRun(Optimizer Optimizer, double? LearningRate, IReadOnlyList<EpochPoint> Curve, double Seconds, bool Diverged)
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
internal sealed record EpochPoint(int Epoch, double TrainLoss, double TestAccuracy, double Seconds);

/// <summary>
/// AGD against TorchSharp's Adam and SGD on equal terms: the library's own training loop for every optimizer, with the
/// same network, initial weights, standardized input, loss, batch order and evaluation (no ML.NET pipeline).
/// </summary>
internal sealed class BaselineTraining : IDisposable
{
    private readonly LabelledImages _train, _test;
    private readonly AgdImageClassificationTrainer.Options _network;
    private readonly AgdImageShape _shape;
    private readonly int _classes;

    /// <summary>Reads both sets into memory.</summary>
    public BaselineTraining(LabelledImageSet train, LabelledImageSet test, AgdImageClassificationTrainer.Options network)
    {
        TorchNative.EnsureLoaded();
        var ml = new MLContext(network.Seed);
        var keys = train.LabelKeys(ml);
        network.CheckMemory(train.Shape, train.ClassNames.Count, train.Rows.Count); // before a row is decoded
        _train = LabelledImages.Read(keys.Transform(train.ToDataView(ml)), train.Shape);
        _test = LabelledImages.Read(keys.Transform(test.ToDataView(ml)), test.Shape);
        (_network, _shape, _classes) = (network, train.Shape, train.ClassNames.Count);
    }

    /// <summary>The training images.</summary>
    public LabelledImages Train => _train;

    /// <summary>The test images.</summary>
    public LabelledImages Test => _test;

    /// <summary>
    /// A fresh network with AGD's initial weights for the seed, standardizing its input with the training set's
    /// statistics as the trainer's networks do: every optimizer starts from the same one and sees the same input.
    /// </summary>
    public nn.Module<Tensor, Tensor> InitialNetwork()
    {
        var network = new StandardizedNetwork(_network.CreateNetwork(_shape, _classes), _train.Mean, _train.StandardDeviation);
        AgdInitialization.Apply(network, new Generator((ulong)_network.Seed));
        return network;
    }

    /// <summary>
    /// The loop every optimizer trains with: the same batch order for the seed, and the test set as validation; AGD's
    /// runs end with their weights averaged, as the trainer's do.
    /// </summary>
    public TrainingLoop Loop(nn.Module<Tensor, Tensor> network, optim.Optimizer optimizer, bool averageWeights = false)
        => new(network, optimizer, _network.Loss, _network.BatchSize, CPU, new Generator((ulong)_network.Seed)) { AverageWeights = averageWeights };

    /// <summary>Trains with AGD.</summary>
    public OptimizerRun Agd(int epochs, CancellationToken cancellation = default)
    {
        var network = InitialNetwork();
        return Run(Optimizer.Agd, null, network, new AgdOptimizer(network) { Norm = _network.StepNorm }, epochs, cancellation);
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
        return Run(optimizer, learningRate, network, step, epochs, cancellation);
    }

    /// <summary>
    /// Trains a network from <see cref="InitialNetwork"/> with any optimizer, recording its curve; the network and the
    /// optimizer are disposed. A run named AGD (any plan or norm) ends averaged, as the trainer's do.
    /// </summary>
    public OptimizerRun Run(Optimizer name, double? learningRate, nn.Module<Tensor, Tensor> network, optim.Optimizer optimizer, int epochs, CancellationToken cancellation = default)
    {
        var clock = Stopwatch.StartNew();
        var curve = new List<EpochPoint>();
        bool diverged = false;
        try
        {
            Loop(network, optimizer, averageWeights: name == Optimizer.Agd).Run(_train, _test, 0, epochs, e => curve.Add(new EpochPoint(e.Epoch, e.TrainLoss, e.ValidationAccuracy!.Value, clock.Elapsed.TotalSeconds)), cancellation);
        }
        catch (TrainingDivergedException)
        {
            diverged = true; // the loss became NaN or infinite: the curve ends at the last whole epoch
        }
        network.Dispose();
        optimizer.Dispose();
        return new OptimizerRun(name, learningRate, curve, clock.Elapsed.TotalSeconds, diverged);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _train.Dispose();
        _test.Dispose();
    }
}

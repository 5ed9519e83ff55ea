using Microsoft.ML.Agd.Optim;
using System.Diagnostics;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Training;

/// <summary>
/// Mini-batch training, for any network and loss: passes over the data (epochs, or a language model's rounds of
/// iterations), one optimizer step per batch (<see cref="TrainingStep"/>), an <see cref="AgdEpoch"/> per pass with the
/// validation loss and accuracy. The image trainer drives it with AGD, comparisons with TorchSharp's optimizers (any
/// <c>torch.optim.Optimizer</c>), and <c>agd lm</c> with a GPT, so batch order, stopping and averaging are the same by
/// construction. The model declares what its layers need: a network with batch norms gets their statistics recomputed
/// for its weights after every pass (<see cref="BatchNormStatistics"/>), and never a step on a single row. The caller
/// declares the rest: with <see cref="AverageWeights"/> a run ends with its parameters averaged over its last tenth;
/// with <see cref="MeasureNoise"/> each step measures the gradient noise scale, AGD's step then counts only the
/// gradient's expected signal, and an automatic batch (<see cref="AutomaticBatchSize"/>) doubles as the noise scale grows
/// and the measured step times say a larger batch trains sooner.
/// </summary>
/// <param name="network">The network, on <paramref name="device"/>.</param>
/// <param name="optimizer">AGD (<see cref="Optim.AgdOptimizer"/>) or another optimizer.</param>
/// <param name="loss">The training loss.</param>
/// <param name="batchSize">Rows per step, or null for an automatic batch.</param>
/// <param name="device">Where batches go.</param>
/// <param name="generator">The source of every pass's order.</param>
internal sealed class TrainingLoop(nn.Module<Tensor, Tensor> network, optim.Optimizer optimizer, AgdLoss loss, int? batchSize, Device device, Generator generator)
{
    // Small, because every activation of a batch stays alive until the batch's scope ends, and never more than the
    // training batch, which is what the memory check sized (images of thousands of pixels); results do not depend on it.
    private const int EvaluationBatchSize = 32;

    private readonly bool _hasBatchNorms = network.modules().OfType<TorchSharp.Modules.BatchNorm>().Any();
    private TrainingStep _step = null!;
    private RankShare? _share;
    private AutomaticBatchSize? _automatic;

    /// <summary>
    /// The largest batch an automatic batch may grow to (a tenth of the data's rows bounds it too), from the memory a
    /// batch needs; <see cref="AutomaticBatchSize.Largest"/> unless the caller knows better.
    /// </summary>
    public int LargestBatch { get; init; } = AutomaticBatchSize.Largest;

    /// <summary>Where an automatic batch starts (a continued run starts where the run before ended).</summary>
    public int FirstBatch { get; init; } = AutomaticBatchSize.Start;

    /// <summary>
    /// Whether a run ends with its parameters averaged over the last tenth of its steps (<see cref="IterateAverage"/>); its
    /// last epoch is then measured, and left in the network, with the averaged weights (batch norms recomputed for them).
    /// The trainer sets it for AGD, whose step has no schedule to quiet a run's last steps. The run's length is known from
    /// the data's row count or, for data that does not know it (streamed), from the run's first epoch: a one-epoch run over
    /// such data keeps its last weights, as does a run stopped before its end.
    /// </summary>
    public bool AverageWeights { get; init; }

    /// <summary>Whether each step measures the gradient noise scale; by default with AGD or an automatic batch, which use it.</summary>
    public bool MeasureNoise { get; init; } = batchSize is null || optimizer is AgdOptimizer;

    /// <summary>
    /// Whether a stop keeps the steps of the pass it stopped in, which then ends the run as its last pass (averaged,
    /// measured and reported), instead of undoing them: for passes too long to lose, as a language model's rounds.
    /// </summary>
    public bool KeepStoppedPass { get; init; }

    /// <summary>The rows the whole run trains on, where its passes differ in size; by default the data's row count per pass.</summary>
    public long? RunRows { get; init; }

    /// <summary>
    /// The ranks that train this run together, or null for one process: every rank runs the same loop over the same
    /// batches, computes its part of each (<see cref="RankShare"/>), and takes the same steps.
    /// </summary>
    public AgdCommunicator? Ranks { get; init; }

    /// <summary>Told after every step.</summary>
    public Action? StepTaken { get; init; }

    /// <summary>
    /// Trains for some epochs after <paramref name="epochsDone"/> earlier ones. Cancelled, it stops after the current
    /// batch and puts back the weights of the last whole epoch: the network and the history hold whole epochs only.
    /// </summary>
    /// <param name="train">The training batches.</param>
    /// <param name="validation">Batches measured after every epoch, or null.</param>
    /// <param name="epochsDone">Epochs trained before (the history's numbering carries on).</param>
    /// <param name="epochs">Epochs to train.</param>
    /// <param name="onEpoch">Told of each epoch as it ends.</param>
    /// <param name="cancellation">Stops after the current batch; the unfinished epoch is undone.</param>
    /// <exception cref="TrainingDivergedException">The loss or a gradient became NaN or infinite.</exception>
    public TrainingRun Run(IBatches train, IBatches? validation, int epochsDone, int epochs, Action<AgdEpoch> onEpoch, CancellationToken cancellation)
    {
        var history = new List<AgdEpoch>();
        if (Ranks is not null)
            RankShare.AgreeOnRun(Ranks, network, train.GetRowCount(), epochs, batchSize);
        using var share = _share = Ranks is null ? null : new RankShare(Ranks, cancellation);
        cancellation = share?.Stop ?? cancellation; // across ranks, every rank stops after the same step
        using var norms = share is null ? null : new SharedBatchNorms(network, share);
        using var epochStart = new WeightCopy(network);
        int lastEpoch = epochsDone + epochs;
        long? rows = train.GetRowCount();
        _step = new TrainingStep(optimizer, MeasureNoise, share);
        if (batchSize is null)
            _automatic = new AutomaticBatchSize(FirstBatch, (int)Math.Min(LargestBatch, Math.Max(FirstBatch, (rows ?? long.MaxValue) / 10)), share is null ? null : share.Mean);
        long? runRows = RunRows ?? (rows is { } r ? (r - (r % CurrentBatch == 1 && !TrainsOn(1) ? 1 : 0)) * epochs : null);
        using var average = new TailAverage(network, AverageWeights, runRows, epochs);
        for (int epoch = epochsDone + 1; epoch <= lastEpoch; epoch++)
        {
            if (cancellation.IsCancellationRequested)
                return new TrainingRun(history, Cancelled: true);
            if (cancellation.CanBeCanceled && !KeepStoppedPass)
                epochStart.Take(); // a run that cannot be stopped never needs the epoch's start back
            var clock = Stopwatch.StartNew();
            var (trainLoss, trainAccuracy, meanEta, trained) = OutOfMemoryNamed(() => TrainEpoch(train, epoch, average, cancellation));
            int epochBatch = CurrentBatch;
            bool stopped = cancellation.IsCancellationRequested; // read once: the average and the record agree on where the run ends
            if (stopped && (!KeepStoppedPass || trained == 0))
            {
                if (!KeepStoppedPass)
                    epochStart.Restore();
                return new TrainingRun(history, Cancelled: true);
            }
            if (epoch == lastEpoch || stopped)
                average.CopyTo();
            BatchNormStatistics.Recompute(network, train, epochBatch, device, generator.initial_seed() + epoch);
            var (validationLoss, validationAccuracy) = validation is null ? ((double?)null, (double?)null) : OutOfMemoryNamed(() => Evaluate(validation));
            var record = new AgdEpoch(epoch, trainLoss, trainAccuracy, meanEta, validationLoss, validationAccuracy, clock.Elapsed.TotalSeconds)
            {
                BatchSize = epochBatch,
                NoiseScale = _step.Noise?.Value,
            };
            history.Add(record);
            onEpoch(record);
            if (stopped)
                return new TrainingRun(history, Cancelled: true);
        }
        return new TrainingRun(history, Cancelled: false);
    }

    // libtorch reports an allocation it cannot make as a native error; the batch, the images or the network is too large.
    private T OutOfMemoryNamed<T>(Func<T> run)
    {
        try
        {
            return run();
        }
        catch (System.Runtime.InteropServices.ExternalException e) when (e.Message.Contains("can't allocate memory", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"libtorch could not allocate the memory a batch of {CurrentBatch} needs ({e.Message.Split('\n')[0].Trim()}). " +
                (batchSize is null ? "Set a batch size smaller than that, or make the images or the network smaller." : "Make the batch size, the images or the network smaller."), e);
        }
    }

    /// <summary>The batch size the next step takes.</summary>
    public int CurrentBatch => _automatic?.Current ?? batchSize!.Value;

    // Batch norm cannot train on a single row: such a batch is skipped, and its row rejoins the shuffle next epoch.
    private bool TrainsOn(long rows) => rows > 1 || (rows == 1 && (batchSize == 1 || !_hasBatchNorms));

    private (double Loss, double Accuracy, double MeanEta, long Rows) TrainEpoch(IBatches data, int epoch, TailAverage average, CancellationToken cancellation)
    {
        network.train();
        // Gradients are needed even when the caller trains inside torch.no_grad().
        using var gradients = enable_grad();
        using var tally = new EpochTally(device, _share);
        using var pending = new PendingRows();
        var stepClock = Stopwatch.StartNew(); // a step's time runs from the step before's end: its batch's reading is part of it
        void Step(Tensor images, Tensor labels)
        {
            long size = images.shape[0];
            if (!TrainsOn(size))
                return;
            var (value, output) = _step.Take(size, (start, count) =>
            {
                var output = network.call(images.narrow(0, start, count));
                return (loss.Compute(output, labels.narrow(0, start, count)), output);
            });
            if (!double.IsFinite(value))
                throw new TrainingDivergedException(
                    $"Training diverged: the loss became {value} in epoch {epoch} at batch {tally.Steps + 1}. No model was produced. " +
                    "Check the features for extreme values.");
            if (size > 1)
                _automatic?.Observe(_step.Noise!.Value, stepClock.Elapsed.TotalSeconds);
            stepClock.Restart();
            average.Add(size);
            using var mine = _step.OutputRows.Count == 0 ? null : cat(_step.OutputRows.Select(r => labels.narrow(0, r.Start, r.Count)).ToList());
            tally.Add(value, size, output, mine, (optimizer as AgdOptimizer)?.LastEta ?? double.NaN); // another optimizer has no eta
            StepTaken?.Invoke();
        }
        // The epoch reads batches of the size it starts with; a batch that has grown since is made of several of them.
        data.ForEachBatch(CurrentBatch, generator, device, (images, labels) =>
        {
            if (pending.Rows == 0 && images.shape[0] >= CurrentBatch)
            {
                Step(images, labels);
                return;
            }
            pending.Add(images, labels);
            if (pending.Rows >= CurrentBatch)
                pending.Take(Step);
        }, cancellation);
        if (!cancellation.IsCancellationRequested)
            pending.Take(Step);
        average.EpochEnded(tally.Rows);
        var (meanLoss, accuracy, meanEta) = tally.Result();
        return (meanLoss, accuracy, meanEta, tally.Rows);
    }

    /// <summary>Loss and accuracy of the network in evaluation mode.</summary>
    /// <param name="data">The batches to measure.</param>
    public (double Loss, double Accuracy) Evaluate(IBatches data)
    {
        network.eval();
        using var noGrad = no_grad();
        double lossSum = 0;
        long correct = 0, count = 0, targets = 0;
        data.ForEachBatch(Math.Min(EvaluationBatchSize, CurrentBatch), null, device, (images, labels) =>
        {
            var output = network.call(images);
            lossSum += loss.Compute(output, labels).item<float>() * images.shape[0];
            correct += output.argmax(-1).eq(labels).sum().item<long>();
            count += images.shape[0];
            targets += labels.numel();
        });
        return (lossSum / count, (double)correct / targets);
    }
}

/// <summary>What <see cref="TrainingLoop.Run"/> trained.</summary>
/// <param name="History">One entry per whole epoch trained; an epoch stopped part-way is undone and not recorded.</param>
/// <param name="Cancelled">Whether the run was stopped before its last epoch.</param>
internal sealed record TrainingRun(IReadOnlyList<AgdEpoch> History, bool Cancelled);

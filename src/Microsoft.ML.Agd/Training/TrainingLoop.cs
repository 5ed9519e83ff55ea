using Microsoft.ML.Agd.Optim;
using System.Diagnostics;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Training;

/// <summary>
/// Mini-batch training: shuffled batches, one optimizer step each, an <see cref="AgdEpoch"/> per epoch with the
/// validation loss and accuracy. The trainer drives it with AGD; comparisons drive the same loop with TorchSharp's
/// optimizers (any <c>torch.optim.Optimizer</c>), so batch order and evaluation are the same by construction. After every
/// epoch a network's batch norms get statistics recomputed for its weights over up to 100 training batches, in place of the
/// running averages that trail them, before it is measured or kept. With <see cref="AverageWeights"/> a run ends with its
/// parameters averaged over its last tenth of steps.
/// </summary>
/// <param name="network">The network, on <paramref name="device"/>.</param>
/// <param name="optimizer">AGD (<see cref="Optim.AgdOptimizer"/>) or another optimizer.</param>
/// <param name="loss">The training loss.</param>
/// <param name="batchSize">Images per step.</param>
/// <param name="device">Where batches go.</param>
/// <param name="generator">The source of every epoch's order.</param>
internal sealed class TrainingLoop(nn.Module<Tensor, Tensor> network, optim.Optimizer optimizer, AgdLoss loss, int batchSize, Device device, Generator generator)
{
    // Small, because every activation of a batch stays alive until the batch's scope ends; results do not depend on it.
    private const int EvaluationBatchSize = 32;

    /// <summary>
    /// Whether a run ends with its parameters averaged over the last tenth of its steps (<see cref="IterateAverage"/>); its
    /// last epoch is then measured, and left in the network, with the averaged weights (batch norms recomputed for them).
    /// The trainer sets it for AGD, whose step has no schedule to quiet a run's last steps. The run's length is known from
    /// the data's row count or, for data that does not know it (streamed), from the run's first epoch: a one-epoch run over
    /// such data keeps its last weights, as does a run stopped before its end.
    /// </summary>
    public bool AverageWeights { get; init; }

    /// <summary>
    /// Trains for some epochs after <paramref name="epochsDone"/> earlier ones. Cancelled, it stops after the current
    /// batch and puts back the weights of the last whole epoch: the network and the history hold whole epochs only.
    /// </summary>
    /// <param name="train">The training images.</param>
    /// <param name="validation">Images measured after every epoch, or null.</param>
    /// <param name="epochsDone">Epochs trained before (the history's numbering carries on).</param>
    /// <param name="epochs">Epochs to train.</param>
    /// <param name="onEpoch">Told of each epoch as it ends.</param>
    /// <param name="cancellation">Stops after the current batch; the unfinished epoch is undone.</param>
    /// <exception cref="TrainingDivergedException">The loss or a gradient became NaN or infinite.</exception>
    public TrainingRun Run(IImageBatches train, IImageBatches? validation, int epochsDone, int epochs, Action<AgdEpoch> onEpoch, CancellationToken cancellation)
    {
        var history = new List<AgdEpoch>();
        using var epochStart = new WeightCopy(network);
        int lastEpoch = epochsDone + epochs;
        using var average = new TailAverage(network, AverageWeights, StepsPerEpoch(train), epochs);
        for (int epoch = epochsDone + 1; epoch <= lastEpoch; epoch++)
        {
            if (cancellation.IsCancellationRequested)
                return new TrainingRun(history, Cancelled: true);
            if (cancellation.CanBeCanceled)
                epochStart.Take(); // a run that cannot be stopped never needs the epoch's start back
            var clock = Stopwatch.StartNew();
            var (trainLoss, trainAccuracy, meanEta) = OutOfMemoryNamed(() => TrainEpoch(train, epoch, average, cancellation));
            if (cancellation.IsCancellationRequested)
            {
                epochStart.Restore();
                return new TrainingRun(history, Cancelled: true);
            }
            if (epoch == lastEpoch)
                average.CopyTo();
            BatchNormStatistics.Recompute(network, train, batchSize, device, generator.initial_seed() + epoch);
            var (validationLoss, validationAccuracy) = validation is null ? ((double?)null, (double?)null) : OutOfMemoryNamed(() => Evaluate(validation));
            var record = new AgdEpoch(epoch, trainLoss, trainAccuracy, meanEta, validationLoss, validationAccuracy, clock.Elapsed.TotalSeconds);
            history.Add(record);
            onEpoch(record);
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
            throw new InvalidOperationException($"libtorch could not allocate the memory a batch of {batchSize} needs ({e.Message.Split('\n')[0].Trim()}). " +
                "Make the batch size, the images or the network smaller.", e);
        }
    }

    // Steps an epoch takes, where the data knows its rows: a batch each, less a last batch of one row that is skipped.
    private long? StepsPerEpoch(IImageBatches data) => data.GetRowCount() is { } rows
        ? rows / batchSize + (TrainsOn(rows % batchSize) ? 1 : 0)
        : null;

    // Batch norm cannot train on a single row: such a batch is skipped, and its row rejoins the shuffle next epoch.
    private bool TrainsOn(long rows) => rows > 1 || (rows == 1 && batchSize == 1);

    private (double Loss, double Accuracy, double MeanEta) TrainEpoch(IImageBatches data, int epoch, TailAverage average, CancellationToken cancellation)
    {
        network.train();
        // Gradients are needed even when the caller trains inside torch.no_grad().
        using var gradients = enable_grad();
        double lossSum = 0, etaSum = 0;
        long seen = 0;
        int steps = 0;
        // Counted on the device and read once per epoch: no extra synchronisation per batch.
        using var correct = zeros(1, dtype: ScalarType.Int64, device: device);
        data.ForEachBatch(batchSize, generator, device, (images, labels) =>
        {
            long size = images.shape[0];
            if (!TrainsOn(size))
                return;
            optimizer.zero_grad();
            var output = network.call(images);
            var batchLoss = loss.Compute(output, labels);
            double value = batchLoss.item<float>();
            if (!double.IsFinite(value))
                throw new TrainingDivergedException(
                    $"Training diverged: the loss became {value} in epoch {epoch} at batch {steps + 1}. No model was produced. " +
                    "Check the features for extreme values or try a smaller gain.");
            batchLoss.backward();
            optimizer.step();
            etaSum += (optimizer as AgdOptimizer)?.LastEta ?? double.NaN; // another optimizer has no eta
            average.Add();
            lossSum += value * size;
            correct.add_(output.argmax(1).eq(labels).sum());
            seen += size;
            steps++;
        }, cancellation);
        average.EpochEnded(steps);
        return seen == 0 ? (double.NaN, double.NaN, double.NaN) : (lossSum / seen, (double)correct.item<long>() / seen, etaSum / steps);
    }

    /// <summary>Loss and accuracy of the network in evaluation mode.</summary>
    /// <param name="data">The images to measure.</param>
    public (double Loss, double Accuracy) Evaluate(IImageBatches data)
    {
        network.eval();
        using var noGrad = no_grad();
        double lossSum = 0;
        long correct = 0, count = 0;
        data.ForEachBatch(EvaluationBatchSize, null, device, (images, labels) =>
        {
            var output = network.call(images);
            lossSum += loss.Compute(output, labels).item<float>() * images.shape[0];
            correct += output.argmax(1).eq(labels).sum().item<long>();
            count += images.shape[0];
        });
        return (lossSum / count, (double)correct / count);
    }
}

/// <summary>What <see cref="TrainingLoop.Run"/> trained.</summary>
/// <param name="History">One entry per whole epoch trained; an epoch stopped part-way is undone and not recorded.</param>
/// <param name="Cancelled">Whether the run was stopped before its last epoch.</param>
internal sealed record TrainingRun(IReadOnlyList<AgdEpoch> History, bool Cancelled);

using System.Diagnostics;
using Microsoft.ML.Agd.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Training;

/// <summary>Mini-batch training with AGD: shuffled batches, one AGD step each, an <see cref="AgdEpoch"/> per epoch.</summary>
internal sealed class TrainingLoop(nn.Module<Tensor, Tensor> network, AgdOptimizer optimizer, AgdLoss loss, int batchSize, Device device, Generator generator)
{
    private const int EvaluationBatchSize = 1024;

    /// <summary>Trains for some epochs after <paramref name="epochsDone"/> earlier ones; stops after the current batch when cancelled, keeping what was trained.</summary>
    /// <exception cref="InvalidOperationException">The loss became NaN or infinite.</exception>
    public List<AgdEpoch> Run(LabelledImages train, LabelledImages? validation, int epochsDone, int epochs, Action<AgdEpoch> onEpoch, CancellationToken cancellation)
    {
        var history = new List<AgdEpoch>();
        for (int epoch = epochsDone + 1; epoch <= epochsDone + epochs && !cancellation.IsCancellationRequested; epoch++)
        {
            var clock = Stopwatch.StartNew();
            var (trainLoss, trainAccuracy, meanEta) = TrainEpoch(train, epoch, cancellation);
            var (validationLoss, validationAccuracy) = validation is null ? ((double?)null, (double?)null) : Evaluate(validation);
            var record = new AgdEpoch(epoch, trainLoss, trainAccuracy, meanEta, validationLoss, validationAccuracy, clock.Elapsed.TotalSeconds);
            history.Add(record);
            onEpoch(record);
        }
        return history;
    }

    private (double Loss, double Accuracy, double MeanEta) TrainEpoch(LabelledImages data, int epoch, CancellationToken cancellation)
    {
        network.train();
        // Gradients are needed even when the caller trains inside torch.no_grad().
        using var gradients = enable_grad();
        using var order = randperm(data.Count, generator: generator);
        double lossSum = 0, etaSum = 0;
        long seen = 0;
        int steps = 0;
        // Counted on the device and read once per epoch: no extra synchronisation per batch.
        using var correct = zeros(1, dtype: ScalarType.Int64, device: device);
        for (long start = 0; start < data.Count && !cancellation.IsCancellationRequested; start += batchSize)
        {
            long size = Math.Min(batchSize, data.Count - start);
            if (size == 1 && data.Count > 1)
                break; // batch norm cannot train on a single row; it rejoins the shuffle next epoch
            using var scope = NewDisposeScope();
            var rows = order.narrow(0, start, size);
            var images = data.Images.index_select(0, rows).to(device);
            var labels = data.Labels.index_select(0, rows).to(device);
            optimizer.ZeroGrad();
            var output = network.call(images);
            var batchLoss = loss.Compute(output, labels);
            double value = batchLoss.item<float>();
            if (!double.IsFinite(value))
                throw new InvalidOperationException(
                    $"Training diverged: the loss became {value} in epoch {epoch} at batch {steps + 1}. No model was produced. " +
                    "Check the features for extreme values or try a smaller gain.");
            batchLoss.backward();
            etaSum += optimizer.Step();
            lossSum += value * size;
            correct.add_(output.argmax(1).eq(labels).sum());
            seen += size;
            steps++;
        }
        return seen == 0 ? (double.NaN, double.NaN, double.NaN) : (lossSum / seen, (double)correct.item<long>() / seen, etaSum / steps);
    }

    /// <summary>Loss and accuracy of the network in evaluation mode.</summary>
    public (double Loss, double Accuracy) Evaluate(LabelledImages data)
    {
        network.eval();
        using var noGrad = no_grad();
        double lossSum = 0;
        long correct = 0;
        for (long start = 0; start < data.Count; start += EvaluationBatchSize)
        {
            using var scope = NewDisposeScope();
            long size = Math.Min(EvaluationBatchSize, data.Count - start);
            var labels = data.Labels.narrow(0, start, size).to(device);
            var output = network.call(data.Images.narrow(0, start, size).to(device));
            lossSum += loss.Compute(output, labels).item<float>() * size;
            correct += output.argmax(1).eq(labels).sum().item<long>();
        }
        return (lossSum / data.Count, (double)correct / data.Count);
    }
}

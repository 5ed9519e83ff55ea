using Microsoft.ML.Agd.Optim;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Training;

/// <summary>
/// One optimizer step on a batch, for any model and loss: the image trainer's epochs and the language model's iterations
/// both take their steps here. With <paramref name="measureNoise"/> the batch's gradient is taken as the mean of its two
/// halves', whose product and distance measure the gradient noise scale (<see cref="GradientNoiseScale"/>) at no extra
/// backward pass; AGD's step then counts only the gradient's expected signal (<see cref="AgdOptimizer.SignalShare"/>).
/// </summary>
/// <param name="optimizer">AGD or any TorchSharp optimizer.</param>
/// <param name="measureNoise">Whether to measure the noise scale (a batch of one row is not measured).</param>
internal sealed class TrainingStep(optim.Optimizer optimizer, bool measureNoise)
{
    /// <summary>The measured noise scale, or null when not measured.</summary>
    public GradientNoiseScale? Noise { get; } = measureNoise ? new GradientNoiseScale() : null;

    /// <summary>
    /// Zeroes the gradients, computes the batch's, and steps unless the loss is not finite (then nothing moves and the
    /// caller decides what a diverged run does).
    /// </summary>
    /// <param name="rows">The batch's row count.</param>
    /// <param name="loss">The mean loss of the batch's rows [start, start + count), and their output where the caller wants it.</param>
    /// <returns>The batch's mean loss, and its output (the rows' outputs as one tensor) where the caller gave them.</returns>
    public (double Loss, Tensor? Output) Take(long rows, Func<long, long, (Tensor Loss, Tensor? Output)> loss)
    {
        optimizer.zero_grad();
        var (value, output) = Noise is null || rows < 2 ? Backward(0, rows, loss) : BackwardByHalves(rows, loss);
        if (double.IsFinite(value))
            optimizer.step();
        return (value, output);
    }

    private static (double Loss, Tensor? Output) Backward(long start, long count, Func<long, long, (Tensor Loss, Tensor? Output)> loss)
    {
        var (batchLoss, output) = loss(start, count);
        double value = batchLoss.item<float>();
        if (double.IsFinite(value))
            batchLoss.backward();
        return (value, output);
    }

    // The halves are equal: an odd row goes to the second, and such a batch is not measured.
    private (double Loss, Tensor? Output) BackwardByHalves(long rows, Func<long, long, (Tensor Loss, Tensor? Output)> loss)
    {
        long first = rows / 2;
        var (firstLoss, firstOutput) = Backward(0, first, loss);
        if (!double.IsFinite(firstLoss))
            return (firstLoss, firstOutput);
        var parameters = optimizer.parameters().Where(p => p.grad is not null).ToList();
        using var firstGradients = new HalfGradients(parameters);
        var (secondLoss, secondOutput) = Backward(first, rows - first, loss);
        if (!double.IsFinite(secondLoss))
            return (secondLoss, secondOutput);
        var (dot, distanceSquared) = firstGradients.Compare(parameters);
        firstGradients.Combine(parameters, (double)first / rows);
        if (first == rows - first)
            Noise!.Add((int)rows, dot, distanceSquared);
        if (optimizer is AgdOptimizer agd && Noise!.Value is { } noise)
            agd.SignalShare = rows / (rows + noise);
        return ((firstLoss * first + secondLoss * (rows - first)) / rows, firstOutput is null ? null : cat([firstOutput, secondOutput!]));
    }
}

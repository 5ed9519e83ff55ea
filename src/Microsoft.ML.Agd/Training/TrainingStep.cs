using Microsoft.ML.Agd.Optim;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Training;

/// <summary>
/// One optimizer step on a batch, for any model and loss: the image trainer's epochs and the language model's iterations
/// both take their steps here. Measuring the noise, the batch's gradient is taken as the mean of its two halves', whose
/// product and distance measure the gradient noise scale (<see cref="GradientNoiseScale"/>) at no extra backward pass;
/// AGD's step then counts only the gradient's expected signal (<see cref="AgdOptimizer.SignalShare"/>).
/// </summary>
/// <remarks>
/// Trained by several ranks, each computes its part of each half (with two, each a half), the gradients are summed across
/// ranks in one exchange, and every rank goes on as one process with the whole batch would: the same halves, the same
/// noise measurement, the same step, whose polar factorisations AGD shares out among the ranks.
/// </remarks>
internal sealed class TrainingStep
{
    private readonly optim.Optimizer optimizer;
    private readonly RankShare? ranks;

    /// <summary>A step for an optimizer.</summary>
    /// <param name="optimizer">AGD or any TorchSharp optimizer.</param>
    /// <param name="measureNoise">Whether to measure the noise scale (a batch of one row is not measured).</param>
    /// <param name="ranks">This rank's part, where several train together; null in a run of one process.</param>
    public TrainingStep(optim.Optimizer optimizer, bool measureNoise, RankShare? ranks = null)
    {
        (this.optimizer, this.ranks) = (optimizer, ranks);
        Noise = measureNoise ? new GradientNoiseScale() : null;
        if (optimizer is AgdOptimizer agd)
            agd.Ranks = ranks;
    }

    /// <summary>The measured noise scale, or null when not measured.</summary>
    public GradientNoiseScale? Noise { get; }

    /// <summary>
    /// The rows of the batch whose outputs the last <see cref="Take"/> returned, in order: all of them in one process; across
    /// ranks, this rank's part (so that the epoch's accuracy, counted on each rank, is summed once).
    /// </summary>
    public IReadOnlyList<(long Start, long Count)> OutputRows { get; private set; } = [];

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
        OutputRows = [(0, rows)];
        var (value, output) = ranks is not null ? AcrossRanks(ranks, rows, loss) : Noise is null || rows < 2 ? Backward(0, rows, loss) : BackwardByHalves(rows, loss);
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
        Measure(firstGradients, parameters, rows, first);
        return ((firstLoss * first + secondLoss * (rows - first)) / rows, firstOutput is null ? null : cat([firstOutput, secondOutput!]));
    }

    // The batch's gradient from its halves' (left on the parameters), the noise scale measured from their difference, and
    // AGD told the signal's share.
    private void Measure(HalfGradients firstGradients, IReadOnlyList<Parameter> parameters, long rows, long first)
    {
        var (dot, distanceSquared) = firstGradients.Compare(parameters);
        firstGradients.Combine(parameters, (double)first / rows);
        Measure(rows, first, dot, distanceSquared);
    }

    // The noise scale measured from the halves' product and squared distance, and AGD told the signal's share.
    private void Measure(long rows, long first, double dot, double distanceSquared)
    {
        if (first == rows - first)
            Noise!.Add((int)rows, dot, distanceSquared);
        if (optimizer is AgdOptimizer agd && Noise!.Value is { } noise)
            agd.SignalShare = rows / (rows + noise);
    }

    // Each rank computes its rows of each half, the halves' gradients and losses are summed across ranks, and the rest is
    // as in one process; each rank keeps its rows' outputs. A batch too small for every rank to have rows of each half is
    // taken whole by every rank.
    private (double Loss, Tensor? Output) AcrossRanks(RankShare share, long rows, Func<long, long, (Tensor Loss, Tensor? Output)> loss)
    {
        bool halves = Noise is not null && rows >= 2;
        long first = halves ? rows / 2 : rows;
        if (halves && share.Size == 2)
            return ExchangeHalves(share, rows, first, loss);
        if (first < share.Size || rows - first < (halves ? share.Size : 0))
        {
            var whole = halves ? BackwardByHalves(rows, loss) : Backward(0, rows, loss);
            share.Exchange([], []);
            OutputRows = share.Rank == 0 ? [(0, rows)] : []; // counted once, by rank 0
            return OutputRows.Count > 0 ? whole : (whole.Loss, null);
        }
        share.IsSharing = true;
        try
        {
            return ShareAndExchange(share, rows, first, halves, loss);
        }
        finally
        {
            share.IsSharing = false;
        }
    }

    private (double Loss, Tensor? Output) ShareAndExchange(RankShare share, long rows, long first, bool halves, Func<long, long, (Tensor Loss, Tensor? Output)> loss)
    {
        var (firstLoss, firstOutput) = ShareBackward(share, 0, first, loss);
        var parameters = optimizer.parameters().Where(p => p.grad is not null).ToList();
        using var firstGradients = halves ? new HalfGradients(parameters) : null;
        var (secondLoss, secondOutput) = halves ? ShareBackward(share, first, rows - first, loss) : (0, null);
        Span<float> losses = [(float)firstLoss, (float)secondLoss];
        share.Exchange([.. firstGradients?.Tensors ?? [], .. parameters.Select(p => p.grad!)], losses);
        double value = ((double)losses[0] + losses[1]) / rows;
        if (firstGradients is not null && double.IsFinite(value))
            Measure(firstGradients, parameters, rows, first);
        OutputRows = halves ? [share.Of(0, first), share.Of(first, rows - first)] : [share.Of(0, rows)];
        return (value, firstOutput is null ? null : secondOutput is null ? firstOutput : cat([firstOutput, secondOutput]));
    }

    /// <summary>
    /// Two ranks, each a half: rank 0 computes the first half's gradient and rank 1 the second's, each weighted by its
    /// share of the batch, and one exchange of the gradient's size sums them into the batch's (half the bytes of
    /// exchanging both halves). The halves' squared norms travel with it, and from them and the sum's every rank finds
    /// the halves' product and distance, as one process measures them: with a the first half's gradient, b the second's
    /// and w the first's share, |g|^2 = w^2 |a|^2 + (1 - w)^2 |b|^2 + 2 w (1 - w) a.b. Each half's batch norms see that
    /// half's rows, as in one process, so none is shared.
    /// </summary>
    private (double Loss, Tensor? Output) ExchangeHalves(RankShare share, long rows, long first, Func<long, long, (Tensor Loss, Tensor? Output)> loss)
    {
        var (start, count) = share.Rank == 0 ? (0, first) : (first, rows - first);
        double weight = (double)count / rows;
        var (mine, output) = loss(start, count);
        double lossSum = mine.item<float>() * (double)count;
        using (var scale = weight.ToScalar()) // held to the call's end: an implicit Scalar can be finalized during the call
            mine.mul(scale).backward();
        var parameters = optimizer.parameters().Where(p => p.grad is not null).ToList();
        Span<float> numbers = [0, 0, 0, 0];
        numbers[share.Rank] = (float)lossSum;
        numbers[2 + share.Rank] = (float)(SquaredNorm(parameters) / (weight * weight)); // the half's own gradient's
        share.Exchange([.. parameters.Select(p => p.grad!)], numbers);
        double value = ((double)numbers[0] + numbers[1]) / rows, w = (double)first / rows, a = numbers[2], b = numbers[3];
        double dot = (SquaredNorm(parameters) - w * w * a - (1 - w) * (1 - w) * b) / (2 * w * (1 - w));
        if (double.IsFinite(value)) // as one process, which measures no half that diverged
            Measure(rows, first, dot, Math.Max(0, a + b - 2 * dot));
        OutputRows = [(start, count)];
        return (value, output);
    }

    // The sum of the parameters' gradients' squares, accumulated in float64.
    private static double SquaredNorm(IReadOnlyList<Parameter> parameters)
    {
        using var scope = NewDisposeScope();
        return stack(parameters.Select(p =>
        {
            var g = p.grad!.reshape(-1);
            return g.dot(g).to(ScalarType.Float64);
        }).ToArray()).sum().item<double>();
    }

    // This rank's rows of [start, start + count), its gradient scaled to its share of their mean (the ranks' sum is the
    // mean's gradient); returns the rows' loss sum. Taken even when the loss is not finite: every rank exchanges alike, and
    // the sum then says no step.
    private static (double LossSum, Tensor? Output) ShareBackward(RankShare share, long start, long count, Func<long, long, (Tensor Loss, Tensor? Output)> loss)
    {
        var (mine, rows) = share.Of(start, count);
        var (batchLoss, output) = loss(mine, rows);
        double value = batchLoss.item<float>();
        using var scale = ((double)rows / count).ToScalar(); // held to the call's end: an implicit Scalar can be finalized during the call
        batchLoss.mul(scale).backward();
        return (value * rows, output);
    }
}

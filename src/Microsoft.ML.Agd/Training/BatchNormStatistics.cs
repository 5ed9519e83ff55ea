using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Training;

/// <summary>
/// Recomputes a network's batch-norm statistics for its current weights ("precise" statistics): each running mean and
/// variance becomes the plain average over up to <see cref="Batches"/> training batches. The running averages that
/// training keeps (momentum 0.1) trail the weights by the last ten or twenty steps, which early in a run misreads a
/// ResNet's accuracy by several points and misled the search's early rungs.
/// </summary>
internal static class BatchNormStatistics
{
    /// <summary>The training batches averaged over (fewer where an epoch has fewer).</summary>
    public const int Batches = 100;

    /// <summary>
    /// Replaces the running statistics of every batch norm in <paramref name="network"/> that keeps them; does nothing for a
    /// network without one. Batches are drawn from <paramref name="data"/> in an order from <paramref name="seed"/>; a
    /// batch of a single row is skipped, as training skips it.
    /// </summary>
    public static void Recompute(nn.Module<Tensor, Tensor> network, IBatches data, int batchSize, Device device, long seed)
    {
        var norms = network.modules().OfType<BatchNorm>().Where(n => n.track_running_stats).ToList();
        if (norms.Count == 0)
            return;
        using var noGrad = no_grad();
        using var before = new WeightCopy(network);
        before.Take();
        var momenta = norms.Select(n => n.momentum).ToList();
        foreach (var norm in norms)
        {
            norm.reset_running_stats();
            norm.momentum = null; // a cumulative average: every batch counts the same
        }
        bool training = network.training;
        network.train();
        int seen = 0;
        using var enough = new CancellationTokenSource();
        data.ForEachBatch(batchSize, new Generator((ulong)seed), device, (images, _) =>
        {
            if (images.shape[0] < 2)
                return;
            network.call(images);
            if (++seen == Batches)
                enough.Cancel();
        }, enough.Token);
        network.train(training);
        foreach (var (norm, momentum) in norms.Zip(momenta))
            norm.momentum = momentum;
        if (seen == 0)
            before.Restore(); // nothing to average: keep what training left
    }
}

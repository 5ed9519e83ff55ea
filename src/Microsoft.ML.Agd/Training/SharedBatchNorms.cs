using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Training;

/// <summary>
/// Batch norm over the rows of all ranks, as one process normalizes its whole half-batch: while a rank computes its part
/// of a batch (<see cref="RankShare.IsSharing"/>), every batch norm's output is replaced by one normalized with the
/// statistics of the ranks' rows together, and its backward pass sums across ranks what the statistics' gradient needs
/// (as PyTorch's SyncBatchNorm). The module's own running statistics are left to its local rows: training recomputes
/// them after every epoch (<see cref="BatchNormStatistics"/>).
/// </summary>
internal sealed class SharedBatchNorms : IDisposable
{
    private readonly List<Action> _removeHooks = [];

    /// <summary>Hooks every batch norm of the network for the run.</summary>
    public SharedBatchNorms(nn.Module network, RankShare share)
    {
        foreach (var norm in network.modules().OfType<BatchNorm>())
        {
            if (norm is not nn.Module<Tensor, Tensor> module)
                continue;
            var hook = module.register_forward_hook((_, input, output) => share.IsSharing && norm.training
                ? SynchronizedNorm.apply(input, norm.weight, norm.bias, share, norm.eps)
                : output);
            _removeHooks.Add(hook.remove);
        }
    }

    public void Dispose() => _removeHooks.ForEach(remove => remove());

    // y = (x - mean) / sqrt(var + eps) * weight + bias, mean and var over every rank's rows of each channel.
    private sealed class SynchronizedNorm : autograd.SingleTensorFunction<SynchronizedNorm>
    {
        public override string Name => nameof(SynchronizedNorm);

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var (x, weight, bias, exchange, eps) = ((Tensor)vars[0], vars[1] as Tensor, vars[2] as Tensor, (RankShare)vars[3], (double)vars[4]);
            long[] reduced = [0, .. Enumerable.Range(2, (int)x.dim() - 2).Select(d => (long)d)];
            var shape = Enumerable.Repeat(1L, (int)x.dim()).ToArray();
            shape[1] = x.shape[1];
            // Two passes (the mean, then the squares about it), summed in float64 across ranks.
            var sums = cat([x.sum(reduced, type: ScalarType.Float64), tensor(new[] { (double)(x.numel() / x.shape[1]) }, device: x.device)]);
            exchange.Sum(sums);
            double count = sums[^1].item<double>();
            var mean = (sums.narrow(0, 0, x.shape[1]) / count).to(x.dtype).view(shape);
            var squares = (x - mean).square().sum(reduced, type: ScalarType.Float64);
            exchange.Sum(squares);
            var invstd = (squares / count).add(eps).rsqrt().to(x.dtype);
            var normalized = (x - mean) * invstd.view(shape);
            ctx.save_for_backward([normalized, invstd, weight!]);
            ctx.save_data("exchange", exchange);
            ctx.save_data("count", count);
            return weight is null ? normalized : normalized * weight.view(shape) + bias!.view(shape);
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradient)
        {
            var saved = ctx.get_saved_variables();
            var (normalized, invstd, weight) = (saved[0], saved[1], saved[2]);
            var (exchange, count) = ((RankShare)ctx.get_data("exchange"), (double)ctx.get_data("count"));
            long[] reduced = [0, .. Enumerable.Range(2, (int)gradient.dim() - 2).Select(d => (long)d)];
            var shape = Enumerable.Repeat(1L, (int)gradient.dim()).ToArray();
            shape[1] = gradient.shape[1];
            var biasGradient = gradient.sum(reduced);
            var weightGradient = (gradient * normalized).sum(reduced);
            var ofNormalized = weight is null || weight.IsInvalid ? gradient : gradient * weight.view(shape);
            // The statistics' gradient gathers every rank's rows: d/dx = invstd (g - mean(g) - xhat mean(g xhat)).
            var sums = cat([ofNormalized.sum(reduced, type: ScalarType.Float64), (ofNormalized * normalized).sum(reduced, type: ScalarType.Float64)]);
            exchange.Sum(sums);
            var meanGradient = (sums.narrow(0, 0, gradient.shape[1]) / count).to(gradient.dtype).view(shape);
            var meanProduct = (sums.narrow(0, gradient.shape[1], gradient.shape[1]) / count).to(gradient.dtype).view(shape);
            var input = (ofNormalized - meanGradient - normalized * meanProduct) * invstd.view(shape);
            bool affine = weight is not null && !weight.IsInvalid;
            return [input, affine ? weightGradient : null!, affine ? biasGradient : null!, null!, null!];
        }
    }
}

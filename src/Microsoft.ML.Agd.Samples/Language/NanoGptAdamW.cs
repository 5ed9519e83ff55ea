using Microsoft.ML.Agd.Optim;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Samples.Language;

/// <summary>
/// AdamW as nanoGPT trains its character model: betas (0.9, 0.99), weight decay 0.1 on the weight matrices only, the
/// gradient clipped to norm 1, and the learning rate warmed up linearly over the first 100 iterations, then decayed along
/// a cosine to a tenth of its peak at the last iteration.
/// </summary>
internal sealed class NanoGptAdamW : IOptimizerStep
{
    private const int WarmupIterations = 100;
    private const double WeightDecay = 0.1, ClipNorm = 1.0;
    private readonly optim.Optimizer _adam;
    private readonly IReadOnlyList<TorchSharp.Modules.Parameter> _parameters;
    private readonly double _peak;
    private readonly int _iterations;
    private int _iteration;

    /// <summary>The optimizer for a model, with the peak learning rate and the run's length (where the decay ends).</summary>
    public NanoGptAdamW(nn.Module model, double learningRate, int iterations)
    {
        _parameters = [.. model.parameters().Where(p => p.requires_grad)];
        var groups = new[]
        {
            new TorchSharp.Modules.AdamW.ParamGroup(_parameters.Where(p => p.dim() >= 2), new TorchSharp.Modules.AdamW.Options { weight_decay = WeightDecay }),
            new TorchSharp.Modules.AdamW.ParamGroup(_parameters.Where(p => p.dim() < 2), new TorchSharp.Modules.AdamW.Options { weight_decay = 0 }),
        };
        _adam = optim.AdamW(groups, learningRate, beta1: 0.9, beta2: 0.99);
        (_peak, _iterations) = (learningRate, iterations);
    }

    /// <summary>The learning rate of an iteration (from 0), as nanoGPT's get_lr.</summary>
    public static double LearningRate(double peak, int iteration, int iterations)
    {
        if (iteration < WarmupIterations)
            return peak * (iteration + 1) / (WarmupIterations + 1);
        double progress = Math.Min(1, (double)(iteration - WarmupIterations) / Math.Max(1, iterations - WarmupIterations));
        double floor = peak / 10;
        return floor + 0.5 * (1 + Math.Cos(Math.PI * progress)) * (peak - floor);
    }

    /// <inheritdoc />
    public void ZeroGrad() => _adam.zero_grad();

    /// <inheritdoc />
    public double Step()
    {
        double rate = LearningRate(_peak, _iteration++, _iterations);
        foreach (var group in _adam.ParamGroups)
            group.LearningRate = rate;
        nn.utils.clip_grad_norm_(_parameters, ClipNorm);
        _adam.step();
        return rate;
    }
}

using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Samples.Language;

/// <summary>
/// AdamW as nanoGPT trains its character model: betas (0.9, 0.99), weight decay 0.1 on the weight matrices only, the
/// gradient clipped to norm 1, and the learning rate warmed up linearly over the first 100 iterations, then decayed along
/// a cosine to a tenth of its peak at the last iteration (nanoGPT's get_lr, set before each step as its loop sets it).
/// </summary>
internal sealed class NanoGptAdamW : TorchSharp.Modules.AdamW
{
    private const int WarmupIterations = 100;
    private const double WeightDecay = 0.1, ClipNorm = 1.0;
    private readonly IReadOnlyList<TorchSharp.Modules.Parameter> _parameters;
    private readonly double _peak;
    private readonly int _iterations;
    private int _iteration;

    /// <summary>The optimizer for a model, with the peak learning rate and the run's length (where the decay ends).</summary>
    public NanoGptAdamW(nn.Module model, double learningRate, int iterations) : this([.. model.parameters().Where(p => p.requires_grad)], learningRate, iterations)
    {
    }

    private NanoGptAdamW(IReadOnlyList<TorchSharp.Modules.Parameter> parameters, double learningRate, int iterations)
        : base(new ParamGroup[] { new(parameters.Where(p => p.dim() >= 2), new Options { weight_decay = WeightDecay }), new(parameters.Where(p => p.dim() < 2), new Options { weight_decay = 0 }) },
            learningRate, beta1: 0.9, beta2: 0.99, eps: 1e-8, weight_decay: 0, amsgrad: false, maximize: false)
        => (_parameters, _peak, _iterations) = (parameters, learningRate, iterations);

    /// <summary>The learning rate of an iteration (from 0), as nanoGPT's get_lr.</summary>
    public static double LearningRate(double peak, int iteration, int iterations)
    {
        if (iteration < WarmupIterations)
            return peak * (iteration + 1) / (WarmupIterations + 1);
        double progress = Math.Min(1, (double)(iteration - WarmupIterations) / Math.Max(1, iterations - WarmupIterations));
        double floor = peak / 10;
        return floor + 0.5 * (1 + Math.Cos(Math.PI * progress)) * (peak - floor);
    }

    /// <summary>One step at the schedule's learning rate, on the clipped gradient.</summary>
    public override Tensor step(Func<Tensor>? closure = null)
    {
        double rate = LearningRate(_peak, _iteration++, _iterations);
        foreach (var group in ParamGroups)
            group.LearningRate = rate;
        nn.utils.clip_grad_norm_(_parameters, ClipNorm);
        return base.step(closure);
    }
}

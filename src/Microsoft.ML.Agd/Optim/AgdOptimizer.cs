using Microsoft.ML.Agd.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Optim;

/// <summary>
/// Automatic Gradient Descent (Bernstein et al., 2023): an optimizer whose step size follows from the architecture and
/// the gradients, so there is no learning rate, schedule or momentum to choose. Between steps it keeps only a block of
/// directions per shape of gradient slice, where the subspace iteration that measures their spectral norms starts next time.
/// </summary>
/// <remarks>
/// Every rank-2 (linear or embedding) and rank-4 (convolution) weight is a layer k with scale s_k (see <see cref="AgdLayer.Scale"/>;
/// an output layer with more outputs than inputs steps with at most 1, <see cref="AgdLayer.StepScale"/>).
/// A step computes G = (1/L) sum_k s_k ||g_k||_F^2 / ||g_k||, eta = ln((1 + sqrt(1 + 4G)) / 2), and moves each weight by
/// gain * (eta / L) * s_k * g_k / ||g_k||, where a convolution's norm is taken per kernel position and an embedding's
/// per row (per token). ||g_k|| is the spectral norm (<see cref="Norm"/>); with the Frobenius norm, G = (1/L) sum_k s_k ||g_k||_F
/// and the step is the published one. A layer's bias and normalisation parameters move by gain * (eta / L) * s_k * g_p / ||g_k||_F.
/// L is the network's depth (<see cref="Depth"/>):
/// its layer count for a network in series, as published, and less where a <see cref="Block"/>'s description adds
/// branches to a stream.
/// </remarks>
public sealed class AgdOptimizer : IOptimizerStep
{
    private readonly double _gain;

    /// <summary>Creates the optimizer for every trainable parameter of a module; the module itself is not changed.</summary>
    /// <param name="module">The network. Its rank-1 parameters must belong to a layer (see <see cref="Layers"/>).</param>
    /// <param name="gain">Multiplies every step; 1 is the algorithm's own step.</param>
    /// <exception cref="ArgumentOutOfRangeException">The gain is not a positive finite number.</exception>
    /// <exception cref="NotSupportedException">A parameter belongs to no layer or has an unsupported rank; the message names it.</exception>
    /// <remarks>
    /// On CPUs where libtorch computes some convolutions wrongly (<c>TorchNative.ConvolutionCheck</c>), call
    /// <c>TorchNative.EnsureLoaded</c> before training, as the trainer does: it turns oneDNN off for the process there.
    /// </remarks>
    public AgdOptimizer(nn.Module module, double gain = 1.0) : this(module, gain, depth: null)
    {
    }

    /// <summary>Creates the optimizer with the given depth L in place of the composed one (benchmarks compare the alternatives).</summary>
    internal AgdOptimizer(nn.Module module, double gain, Func<AgdOptimizer, double>? depth)
    {
        ArgumentNullException.ThrowIfNull(module);
        Check.Gain(gain, nameof(gain));
        _gain = gain;
        Layers = LayerGrouping.Group(module);
        if (Layers.Count == 0)
            throw new NotSupportedException($"Module {module.GetType().Name} has no trainable rank-2 or rank-4 weight, so AGD has nothing to train.");
        var composed = DepthOps.Of(module, Layers.Count);
        Depth = depth?.Invoke(this) ?? composed.Depth;
        _countedInSeries = depth is null && composed.CountedInSeries;
    }

    // A module of the user's own whose composition AGD cannot see: Describe says what to declare.
    private readonly bool _countedInSeries;

    private readonly SpectralNorms _spectral = new();

    /// <summary>
    /// The norm of each gradient slice that sizes the step: <see cref="AgdStepNorm.Spectral"/> (the default), or
    /// <see cref="AgdStepNorm.Frobenius"/> for the published algorithm.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not one of <see cref="AgdStepNorm"/>'s.</exception>
    public AgdStepNorm Norm
    {
        get => _norm;
        init
        {
            Check.StepNorm(value, nameof(Norm));
            _norm = value;
        }
    }

    private readonly AgdStepNorm _norm = AgdStepNorm.Spectral;

    /// <summary>Each layer's scale in G and in its step; benchmarks try alternatives to <see cref="AgdLayer.StepScale"/>.</summary>
    internal Func<AgdLayer, double> ScaleOf { get; init; } = layer => layer.StepScale;

    /// <summary>The layers in parameter order; their count is the depth L.</summary>
    public IReadOnlyList<AgdLayer> Layers { get; }

    /// <summary>
    /// What AGD made of the network: its depth L (and its layer count, where branches make them differ), then one line per
    /// layer (the weight's name and shape, its scale s_k and the rank-1 parameters that move with it), in parameter order.
    /// Where a module of the user's own kind (neither a <see cref="Block"/> nor a Sequential) holds several layers, a last
    /// line says that they were counted in series and how to declare branches.
    /// </summary>
    public string Describe()
    {
        string depth = Depth == Layers.Count ? $"L = {Layers.Count}"
            : FormattableString.Invariant($"{Layers.Count} in all, L = {Depth:0.####} (branches add to a stream)");
        var lines = Layers.Select((l, k) => $"{k + 1,3}. {l}").Prepend($"AGD layers: {depth}");
        if (_countedInSeries)
            lines = lines.Append(CountedInSeries);
        return string.Join(Environment.NewLine, lines);
    }

    internal const string CountedInSeries = "Note: L counts the layers in series, as published: this module is not a Block, so AGD cannot see whether its forward " +
        "adds branches to a stream. If it does (a transformer, a ResNet), write it as a Block, whose Compute says how its layers compose " +
        "(docs/research/residual-depth.md): L then follows from the composition, and each step is larger.";

    /// <summary>
    /// The depth L that the step divides by: the number of rank-2 and rank-4 weights for a network in series (the published
    /// algorithm), and less for a <see cref="Block"/> whose description adds branches to a stream (docs/research/residual-depth.md).
    /// </summary>
    public double Depth { get; }

    /// <summary>Sets every parameter's gradient to zero, ready for the next backward pass.</summary>
    public void ZeroGrad()
    {
        foreach (var layer in Layers)
        {
            layer.Weight.grad?.zero_();
            foreach (var (_, p, _) in layer.Members)
                p.grad?.zero_();
        }
    }

    /// <summary>Applies one AGD update from the gradients stored on the parameters.</summary>
    /// <returns>eta, the step's automatically chosen learning rate.</returns>
    /// <exception cref="TrainingDivergedException">A gradient holds NaN or infinity (the weights are left unchanged).</exception>
    public double Step()
    {
        using var scope = torch.NewDisposeScope();
        var layers = Layers.Where(l => l.Weight.grad is not null).ToList();
        return Step(layers, inPlace: CpuStep.CanRun(layers));
    }

    // The two passes read and write CPU float32 memory in place where they can (CpuStep), else with libtorch (TensorStep);
    // the arithmetic between them, G and eta, is the same plain host code for both.
    internal double Step(IReadOnlyList<AgdLayer> layers, bool inPlace)
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var squares = inPlace ? CpuStep.SquaredNorms(layers) : TensorStep.SquaredNorms(layers);
        var norms = Norm == AgdStepNorm.Spectral ? _spectral.Of(layers, squares) : LayerFactors.FrobeniusNorms(squares);
        var (eta, factors) = Factors(layers, squares, norms);
        if (inPlace)
            CpuStep.Update(layers, factors);
        else
            TensorStep.Update(layers, factors);
        return eta;
    }

    // G, eta and every layer's factors: plain host arithmetic on the slices' squared Frobenius norms and step norms.
    internal (double Eta, IReadOnlyList<LayerFactors> Factors) Factors(IReadOnlyList<AgdLayer> layers, double[][] squares, double[][] norms)
    {
        double g = layers.Select((l, k) => ScaleOf(l) * LayerFactors.Decrease(squares[k], norms[k])).Sum() / Depth;
        if (!double.IsFinite(g))
            throw new TrainingDivergedException($"AGD step: the gradient norm is {g}; the loss or the data produced NaN or infinity, so no update was made.");
        double eta = Math.Log((1 + Math.Sqrt(1 + 4 * g)) / 2);
        return (eta, layers.Select((l, k) => LayerFactors.Of(squares[k], norms[k], _gain * eta / Depth * ScaleOf(l))).ToList());
    }
}

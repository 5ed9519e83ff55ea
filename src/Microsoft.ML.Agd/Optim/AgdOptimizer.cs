using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Optim;

/// <summary>
/// Automatic Gradient Descent (Bernstein et al., 2023) as a TorchSharp optimizer: <c>zero_grad()</c>, <c>step()</c>,
/// and its step size follows from the network's <see cref="AgdPlan"/> and the gradients, so there is no learning rate,
/// schedule or momentum to choose. Between steps it keeps only a block of directions per shape of gradient slice, where
/// the subspace iteration that measures their spectral norms starts next time; dispose it to free them.
/// </summary>
/// <remarks>
/// Every rank-2 (linear or embedding) and rank-4 (convolution) weight is a layer k with scale s_k (see <see cref="AgdLayer.Scale"/>;
/// an output layer with more outputs than inputs steps with at most 1, <see cref="AgdLayer.StepScale"/>).
/// A step computes G = (1/L) sum_k s_k ||g_k||_F^2 / ||g_k||, eta = ln((1 + sqrt(1 + 4G)) / 2), and moves each weight by
/// (eta / L) * s_k * g_k / ||g_k||, where a convolution's norm is taken per kernel position and an embedding's per row
/// (per token). ||g_k|| is the spectral norm (<see cref="Norm"/>); with the Frobenius norm, G = (1/L) sum_k s_k ||g_k||_F,
/// and with <see cref="AgdPlan.Published"/> the step is the paper's. A layer's bias and normalisation parameters move by
/// (eta / L) * s_k * g_p / ||g_k||_F. L is the plan's depth (<see cref="AgdPlan.Depth"/>).
/// On CPUs where libtorch computes some convolutions wrongly, call <c>TorchNative.EnsureLoaded</c> before training, as
/// the trainer does: it turns oneDNN off for the process there.
/// </remarks>
public sealed class AgdOptimizer : OptimizerHelper
{
    private readonly SpectralNorms _spectral = new();
    private readonly PolarStep _polar = new();

    private FirstInputTrace? _firstInput;

    // The network, where the optimizer was made for one: its linear layers' factors are kept for the polar step.
    private readonly nn.Module? _network;
    private LinearFactors? _factors;

    /// <summary>
    /// Creates the optimizer for a network, by the network's plan (<c>AgdPlan.Of(network)</c>); the network is not changed.
    /// For a module of the user's own kind (neither a <see cref="Models.Block"/> nor a Sequential), such as a transformer or
    /// a ResNet written with TorchSharp's modules, the first step reads the depth from the network's first forward pass, as
    /// <see cref="AgdPlan.Of(nn.Module{Tensor, Tensor}, Tensor)"/> reads it from an example; until then <see cref="Plan"/>
    /// counts its layers in series.
    /// </summary>
    /// <param name="network">The network. Its rank-1 parameters must belong to a layer (see <see cref="AgdPlan"/>).</param>
    /// <exception cref="NotSupportedException">A parameter belongs to no layer or has an unsupported rank; the message names it.</exception>
    public AgdOptimizer(nn.Module network) : this(AgdPlan.Of(network))
    {
        _network = network;
        if (!Plan.CountedInSeries)
            return;
        if (TracedDepth.Unreadable(network) is { } why)
            Plan = Plan.Unread(why);
        else
            _firstInput = new FirstInputTrace((nn.Module<Tensor, Tensor>)network);
    }

    /// <summary>Creates the optimizer for a plan (for example <see cref="AgdPlan.Published"/>).</summary>
    /// <param name="plan">The layers and depth to step by.</param>
    public AgdOptimizer(AgdPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        Plan = plan;
        _defaults = new OptimizerOptions();
        _parameter_groups = [new ParamGroup { Parameters = plan.Parameters().ToList(), Options = new OptimizerOptions() }];
    }

    /// <summary>The layers and depth the optimizer steps by.</summary>
    public AgdPlan Plan { get; private set; }

    /// <summary>
    /// The norm of each gradient slice that sizes the step: <see cref="AgdStepNorm.Spectral"/> (the default), or
    /// <see cref="AgdStepNorm.Frobenius"/>, the paper's.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not one of <see cref="AgdStepNorm"/>'s.</exception>
    public AgdStepNorm Norm
    {
        get => _norm;
        init => _norm = Enum.IsDefined(value) ? value
            : throw new ArgumentOutOfRangeException(nameof(Norm), value, $"Norm must be {string.Join(" or ", Enum.GetNames<AgdStepNorm>())}.");
    }

    private readonly AgdStepNorm _norm = AgdStepNorm.Spectral;

    /// <summary>
    /// The share of the batch gradient's expected squared norm that is the true gradient's: |G|^2 / E|g|^2 = B / (B + B_noise)
    /// for a batch of B rows and a gradient noise scale B_noise. The step's first-order decrease, G, is the true gradient's,
    /// so it is taken times this share, except for layers a norm makes scale-invariant (<see cref="AgdLayer.IsNormalised"/>).
    /// 1, the default, treats the batch's gradient as exact, as the paper's full-batch derivation does; a training loop
    /// that measures the noise scale sets it before each step.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not in (0, 1].</exception>
    public double SignalShare
    {
        get => _signalShare;
        set => _signalShare = value is > 0 and <= 1 ? value : throw new ArgumentOutOfRangeException(nameof(SignalShare), value, "SignalShare must be in (0, 1].");
    }

    private double _signalShare = 1;

    /// <summary>
    /// The ranks that train together, where several do (set by the training step): the spectral estimates (shape by shape)
    /// and the polar step's factorisations (layer by layer) are shared out among them, and exchanged.
    /// </summary>
    internal IStepRanks? Ranks { get; set; }

    /// <summary>eta, the automatic learning rate of the last step (NaN before the first).</summary>
    public double LastEta { get; private set; } = double.NaN;

    /// <summary>Applies one AGD update from the gradients stored on the parameters (after evaluating <paramref name="closure"/>, when given).</summary>
    /// <returns>The closure's loss, or null without one.</returns>
    /// <exception cref="TrainingDivergedException">A gradient holds NaN or infinity (the weights are left unchanged).</exception>
    public override Tensor step(Func<Tensor>? closure = null)
    {
        Tensor? loss = null;
        if (closure is not null)
        {
            using var gradients = enable_grad();
            loss = closure();
        }
        using var scope = NewDisposeScope();
        ReadTracedDepth();
        var layers = Plan.Layers.Where(l => l.Weight.grad is not null).ToList();
        LastEta = Norm == AgdStepNorm.Polar ? _polar.Take(layers, Plan.Depth, SignalShare, Ranks) : Step(layers, inPlace: CpuStep.CanRun(layers));
        KeepFactors();
        return loss!;
    }

    // From the first polar step on, for the next: a forward pass before it ran without the hooks.
    private void KeepFactors()
    {
        if (Norm != AgdStepNorm.Polar || _network is null || _factors is not null)
            return;
        _factors = new LinearFactors(_network, Plan.Layers);
        _polar.Factors = _factors;
    }

    /// <summary>How many layers the last polar step factorised from their inputs and outputs' gradients rather than from the gradient.</summary>
    internal int FactoredLayers => _polar.FactoredLayers;

    /// <summary>Sets every parameter's gradient to zero (or none), and lets go of the linear layers' factors kept so far.</summary>
    public override void zero_grad()
    {
        base.zero_grad();
        _factors?.Clear();
    }

    private void ReadTracedDepth()
    {
        if (_firstInput is null)
            return;
        if (_firstInput.TakeDepth() is { } depth)
            Plan = Plan.WithTracedDepth(depth);
        _firstInput = null;
    }

    // The two passes read and write CPU float32 memory in place where they can (CpuStep), else with libtorch (TensorStep);
    // the arithmetic between them, G and eta, is the same plain host code for both.
    internal double Step(IReadOnlyList<AgdLayer> layers, bool inPlace)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var squares = inPlace ? CpuStep.SquaredNorms(layers) : TensorStep.SquaredNorms(layers);
        var norms = Norm == AgdStepNorm.Spectral ? _spectral.Of(layers, squares, Ranks) : LayerFactors.FrobeniusNorms(squares);
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
        double depth = Plan.Depth;
        double g = G(layers, k => LayerFactors.Decrease(squares[k], norms[k]), SignalShare, depth);
        if (!double.IsFinite(g))
            throw new TrainingDivergedException($"AGD step: the gradient norm is {g}; the loss or the data produced NaN or infinity, so no update was made.");
        double eta = Eta(g);
        return (eta, layers.Select((l, k) => LayerFactors.Of(squares[k], norms[k], eta / depth * l.StepScale)).ToList());
    }

    /// <summary>
    /// G = (1/L) sum_k share_k s_k D_k: each layer's first-order decrease D_k at its step scale, counted for the gradient's
    /// signal share (<see cref="AgdLayer.ShareOf"/>).
    /// </summary>
    internal static double G(IReadOnlyList<AgdLayer> layers, Func<int, double> decrease, double signalShare, double depth)
        => layers.Select((l, k) => l.ShareOf(signalShare) * l.StepScale * decrease(k)).Sum() / depth;

    /// <summary>AGD's automatic step size for a first-order decrease G: eta = ln((1 + sqrt(1 + 4 G)) / 2).</summary>
    internal static double Eta(double g) => Math.Log((1 + Math.Sqrt(1 + 4 * g)) / 2);

    /// <summary>Frees the spectral norms' blocks of directions (and a first input kept for the trace).</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _spectral.Dispose();
            _firstInput?.Dispose();
            _factors?.Dispose();
        }
        base.Dispose(disposing);
    }
}

using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Optim;

/// <summary>
/// What AGD reads from a network, read once: its layers (every trainable rank-2 or rank-4 weight, with its scale and
/// the rank-1 parameters that move with it) and its depth L. The optimizer steps by it, the initialisation sets weights
/// by it, and a model folder's layers.txt is its <see cref="Describe"/>.
/// </summary>
/// <remarks>
/// A <see cref="Models.Block"/> says how its parts compose, and the plan follows its description: which normalisation
/// feeds which layer, which layer computes the output, and the depth, less than the layer count where branches add to a
/// stream. Any other module's layers are taken in series, in registration order, as the paper takes them.
/// </remarks>
public sealed class AgdPlan
{
    // Why a trace could not read the network, where one was tried and failed; Describe says it.
    private readonly string? _unreadable;

    private AgdPlan(IReadOnlyList<AgdLayer> layers, double depth, bool countedInSeries, string? unreadable = null)
        => (Layers, Depth, CountedInSeries, _unreadable) = (layers, depth, countedInSeries, unreadable);

    /// <summary>The layers in parameter order.</summary>
    public IReadOnlyList<AgdLayer> Layers { get; }

    /// <summary>
    /// The depth L that each step divides by: the layer count for a network in series (the published algorithm), and
    /// less for a block whose description adds branches to a stream (docs/research/residual-depth.md).
    /// </summary>
    public double Depth { get; }

    /// <summary>
    /// Whether a module of the user's own kind (neither a <see cref="Models.Block"/> nor a Sequential) holds several
    /// layers, so that they were counted in series without AGD seeing whether its forward pass adds branches.
    /// </summary>
    public bool CountedInSeries { get; }

    /// <summary>The plan of a network: the library's reading, as its optimizer and trainer use it.</summary>
    /// <exception cref="NotSupportedException">A parameter belongs to no layer, has an unsupported rank, or is tied to another; the message names it.</exception>
    public static AgdPlan Of(nn.Module network) => Of(network, DepthOps.AttentionDepth);

    /// <summary>
    /// The plan of a network whose forward pass AGD reads from a run on <paramref name="example"/>, as
    /// <c>torch.jit.trace</c> reads one: for a module of the user's own kind (neither a <see cref="Models.Block"/> nor a
    /// Sequential) whose forward adds branches to a stream, such as a transformer or a ResNet written with TorchSharp's
    /// own modules, the depth its description would give instead of its layers counted in series. Otherwise as
    /// <see cref="Of(nn.Module)"/>.
    /// </summary>
    /// <param name="network">The network, with AGD's initial weights or any others.</param>
    /// <param name="example">An input such as a training batch (the trace runs one forward pass on it, in evaluation mode).</param>
    /// <exception cref="NotSupportedException">A parameter belongs to no layer, has an unsupported rank, or is tied to another; the message names it.</exception>
    public static AgdPlan Of(nn.Module<Tensor, Tensor> network, Tensor example)
    {
        ArgumentNullException.ThrowIfNull(example);
        var plan = Of(network);
        if (!plan.CountedInSeries)
            return plan;
        return TracedDepth.Unreadable(network) is { } why ? plan.Unread(why) : plan.WithTracedDepth(TracedDepth.Of(network, example));
    }

    /// <summary>The plan with attention adding <paramref name="attentionDepth"/> to its projections' depth (benchmarks compare the counts).</summary>
    internal static AgdPlan Of(nn.Module network, double attentionDepth)
    {
        ArgumentNullException.ThrowIfNull(network);
        var layers = LayerGrouping.Group(network);
        if (layers.Count == 0)
            throw new NotSupportedException($"Module {network.GetType().Name} has no trainable rank-2 or rank-4 weight, so AGD has nothing to train.");
        var (depth, countedInSeries) = DepthOps.Of(network, layers.Count, attentionDepth);
        return new(layers, depth, countedInSeries);
    }

    /// <summary>
    /// The paper's plan of a network: its layers in series (L, the layer count) and every layer stepped with its own scale,
    /// the output layer too. With <see cref="AgdStepNorm.Frobenius"/> it is the published algorithm, as jxbz/agd runs it.
    /// </summary>
    public static AgdPlan Published(nn.Module network)
    {
        var plan = Of(network);
        return new(plan.Layers.Select(l => l.WithStepScale(l.Scale)).ToList(), plan.Layers.Count, countedInSeries: false);
    }

    /// <summary>The plan with the depth read from a forward pass: no longer counted in series.</summary>
    internal AgdPlan WithTracedDepth(double depth) => new(Layers, depth, countedInSeries: false);

    /// <summary>The plan still counted in series because a trace could not read the network, and why.</summary>
    internal AgdPlan Unread(string why) => new(Layers, Depth, CountedInSeries, why);

    /// <summary>The plan with another depth (benchmarks compare depths).</summary>
    internal AgdPlan WithDepth(double depth) => new(Layers, depth, CountedInSeries);

    /// <summary>The plan with other step scales (benchmarks compare the scales of output layers and embeddings).</summary>
    internal AgdPlan WithStepScales(Func<AgdLayer, double> scale) => new(Layers.Select(l => l.WithStepScale(scale(l))).ToList(), Depth, CountedInSeries);

    /// <summary>Every parameter the plan moves: each layer's weight, then its members.</summary>
    public IEnumerable<Parameter> Parameters() => Layers.SelectMany(l => l.Members.Select(m => m.Parameter).Prepend(l.Weight));

    /// <summary>
    /// What AGD made of the network: its depth L (and its layer count, where branches make them differ), then one line per
    /// layer (the weight's name and shape, its scale s_k and the rank-1 parameters that move with it), in parameter order;
    /// where layers were counted in series unseen (<see cref="CountedInSeries"/>), a last line says how to declare branches.
    /// </summary>
    public string Describe()
    {
        string depth = Depth == Layers.Count ? $"L = {Layers.Count}"
            : FormattableString.Invariant($"{Layers.Count} in all, L = {Depth:0.####} (branches add to a stream)");
        var lines = Layers.Select((l, k) => $"{k + 1,3}. {l}").Prepend($"AGD layers: {depth}");
        if (CountedInSeries)
            lines = lines.Append(_unreadable is null ? CountedInSeriesNote : UnreadNote(_unreadable));
        return string.Join(Environment.NewLine, lines);
    }

    /// <inheritdoc cref="Describe"/>
    public override string ToString() => Describe();

    internal static string UnreadNote(string why) => $"Note: L counts the layers in series, as published: AGD could not read this module's forward pass ({why}), " +
        "so it cannot see whether it adds branches to a stream. If it does (a transformer, a ResNet), write it as a Block, whose Compute says how its " +
        "layers compose (docs/research/residual-depth.md): L then follows from the composition, and each step is larger.";

    internal const string CountedInSeriesNote = "Note: L counts the layers in series, as published: this module is not a Block, so AGD cannot see whether its forward " +
        "adds branches to a stream. If it does (a transformer, a ResNet), new AgdOptimizer(network) reads its forward pass at the first " +
        "step, and AgdPlan.Of(network, example) reads it on an example input; or write it as a Block, whose Compute says how its layers compose (docs/research/residual-depth.md): " +
        "L then follows from the composition, and each step is larger.";
}

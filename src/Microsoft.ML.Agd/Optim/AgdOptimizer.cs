using Microsoft.ML.Agd.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Optim;

/// <summary>
/// Automatic Gradient Descent (Bernstein et al., 2023): an optimizer whose step size follows from the architecture and
/// the gradients, so there is no learning rate, schedule or momentum to choose. It keeps no state between steps.
/// </summary>
/// <remarks>
/// Every rank-2 (linear or embedding) and rank-4 (convolution) weight is a layer k with scale s_k (see <see cref="AgdLayer.Scale"/>).
/// A step computes G = (1/L) sum_k s_k ||g_k||, eta = ln((1 + sqrt(1 + 4G)) / 2), and moves each weight by
/// gain * (eta / L) * s_k * g_k / ||g_k||, where a convolution's norm is taken per kernel position and an embedding's
/// per row (per token). A layer's bias and normalisation parameters move by gain * (eta / L) * s_k * g_p / ||g_k||_F.
/// L is the network's depth (<see cref="Depth"/>):
/// its layer count for a network in series, as published, and less where a <see cref="Block"/>'s description adds
/// branches to a stream.
/// </remarks>
public sealed class AgdOptimizer : IOptimizerStep
{
    private readonly double _gain;

    /// <summary>Creates the optimizer for every trainable parameter of a module; the module itself is not changed.</summary>
    /// <param name="module">The network. Its rank-1 parameters must belong to a layer (see <see cref="Layers"/>).</param>
    /// <param name="gain">Multiplies every step; 1 is the published algorithm.</param>
    /// <exception cref="ArgumentOutOfRangeException">The gain is not a positive finite number.</exception>
    /// <exception cref="NotSupportedException">A parameter belongs to no layer or has an unsupported rank; the message names it.</exception>
    /// <remarks>
    /// On CPUs where libtorch computes some convolution gradients wrongly (<c>TorchNative.ConvolutionCheck</c>), call
    /// <c>TorchNative.ProtectConvolutions</c> on the module before training it; the trainer does.
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
        "(docs/residual-depth.md): L then follows from the composition, and each step is larger.";

    /// <summary>
    /// The depth L that the step divides by: the number of rank-2 and rank-4 weights for a network in series (the published
    /// algorithm), and less for a <see cref="Block"/> whose description adds branches to a stream (docs/residual-depth.md).
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
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var layers = Layers.Where(l => l.Weight.grad is not null).ToList();
        var squares = SquaredNorms(layers);
        var norms = squares.Select(s => s.Select(Math.Sqrt).ToArray()).ToArray();
        double g = layers.Select((l, k) => l.Scale * norms[k].Sum()).Sum() / Depth;
        if (!double.IsFinite(g))
            throw new TrainingDivergedException($"AGD step: the gradient norm is {g}; the loss or the data produced NaN or infinity, so no update was made.");

        double eta = Math.Log((1 + Math.Sqrt(1 + 4 * g)) / 2);
        for (int k = 0; k < layers.Count; k++)
        {
            var layer = layers[k];
            double rate = _gain * eta / Depth * layer.Scale;
            Update(layer, norms[k], rate);
            double frobenius = Math.Sqrt(squares[k].Sum());
            foreach (var (_, p, _) in layer.Members)
                if (p.grad is { } pg && frobenius > 0)
                    p.add_(pg, alpha: -rate / frobenius);
        }
        return eta;
    }

    // Every layer's squared norms (one per slice: per kernel position, per embedding row, one for a matrix) on the host, so
    // that G, eta and each layer's step size are plain arithmetic. Convolution gradients in CPU memory are read in place;
    // the others' squared norms are computed by libtorch and come over in a single transfer.
    internal static double[][] SquaredNorms(IReadOnlyList<AgdLayer> layers)
    {
        var squares = new double[layers.Count][];
        var computed = new List<(int Layer, Tensor Squares)>();
        for (int k = 0; k < layers.Count; k++)
        {
            var gradient = layers[k].Weight.grad!;
            int positions = gradient.dim() == 2 ? 1 : (int)(gradient.shape[2] * gradient.shape[3]);
            if (layers[k].IsEmbedding)
                computed.Add((k, gradient.square().sum(1)));
            else if (SquareSums.CanRead(gradient, positions))
                squares[k] = SquareSums.Compute(gradient, positions);
            else
                computed.Add((k, SquaredSliceNorms(gradient, positions)));
        }
        if (computed.Count > 0)
        {
            var all = cat(computed.Select(c => c.Squares).ToList()).cpu().to(ScalarType.Float64).data<double>().ToArray();
            for (int i = 0, offset = 0; i < computed.Count; offset += squares[computed[i].Layer].Length, i++)
                squares[computed[i].Layer] = all[offset..(offset + (int)computed[i].Squares.numel())];
        }
        return squares;
    }

    private static Tensor SquaredSliceNorms(Tensor gradient, int positions)
    {
        if (positions == 1)
        {
            // A dot product of the gradient with itself: BLAS reads it once, about twice as fast as vector_norm here.
            var flat = gradient.reshape(-1);
            return flat.dot(flat).reshape(1);
        }
        // Column sums of squares by a matrix product over [out, in * kh * kw]: libtorch reduces over leading dimensions
        // of a convolution weight several times more slowly. The in input channels are then added per kernel position.
        var squares = gradient.reshape(gradient.shape[0], -1).square();
        var columns = ones(1, squares.shape[0], dtype: squares.dtype, device: squares.device).mm(squares);
        return columns.view(-1, positions).sum(dim: 0);
    }

    // W -= rate * g / n, slice by slice; a zero norm (a zero gradient) leaves its slice unchanged, never NaN.
    private static void Update(AgdLayer layer, double[] norms, double rate)
    {
        Tensor weight = layer.Weight, gradient = weight.grad!;
        if (layer.IsEmbedding)
        {
            weight.addcmul_(gradient, Factors(norms, rate, weight).view(-1, 1), value: 1);
            return;
        }
        if (weight.dim() == 2)
        {
            if (norms[0] > 0)
                weight.add_(gradient, alpha: -rate / norms[0]);
            return;
        }
        // One factor per kernel position, repeated across input channels so the fused update runs over long contiguous rows.
        var factors = Factors(norms, rate, weight);
        long outputs = weight.shape[0], inputs = weight.shape[1];
        if (weight.is_contiguous() && gradient.is_contiguous())
            weight.view(outputs, -1).addcmul_(gradient.view(outputs, -1), factors.repeat(inputs).view(1, -1), value: 1);
        else
            weight.addcmul_(gradient, factors.view(1, 1, weight.shape[2], weight.shape[3]), value: 1);
    }

    // -rate / n per slice, 0 where the slice's gradient is zero.
    private static Tensor Factors(double[] norms, double rate, Tensor weight)
        => tensor(norms.Select(n => n > 0 ? (float)(-rate / n) : 0f).ToArray(), dtype: weight.dtype, device: weight.device);

}

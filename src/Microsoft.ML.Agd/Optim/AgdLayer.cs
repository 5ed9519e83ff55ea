using TorchSharp.Modules;

namespace Microsoft.ML.Agd.Optim;

/// <summary>
/// One AGD layer: a rank-2 (linear or embedding) or rank-4 (convolution) weight, its scale, and the rank-1 parameters
/// (bias, normalisation scale and shift) that move with it.
/// </summary>
public sealed class AgdLayer
{
    internal AgdLayer(string name, Parameter weight, IReadOnlyList<(string Name, Parameter Parameter, bool IsScale)> members, bool isEmbedding, bool isOutput = false)
    {
        Name = name;
        Weight = weight;
        Members = members;
        IsEmbedding = isEmbedding;
        IsOutput = isOutput;
        Scale = ScaleOf(isEmbedding ? [weight.shape[1], weight.shape[0]] : weight.shape);
        StepScale = isOutput ? Math.Min(Scale, 1) : Scale;
    }

    /// <summary>The layer stepped with another scale (the paper's plan steps every layer with its own).</summary>
    internal AgdLayer WithStepScale(double stepScale) => new(Name, Weight, Members, IsEmbedding, IsOutput) { StepScale = stepScale, IsNormalised = IsNormalised };

    /// <summary>The weight's name, as in <c>named_parameters()</c>.</summary>
    public string Name { get; }

    /// <summary>The rank-2 or rank-4 weight that heads the layer.</summary>
    public Parameter Weight { get; }

    /// <summary>The layer's rank-1 parameters, each with its name and whether it is a multiplicative scale (initialised to one).</summary>
    public IReadOnlyList<(string Name, Parameter Parameter, bool IsScale)> Members { get; }

    /// <summary>
    /// Whether the weight is an embedding table [count, width]: the map from a one-hot vector of <c>count</c> entries to
    /// the width, stored transposed, so its scale is sqrt(width / count). Its slices are its rows: an input reads one
    /// token's vector, so each moves by its own gradient's norm, as a convolution's kernel positions do.
    /// </summary>
    public bool IsEmbedding { get; }

    /// <summary>s_k = sqrt(out / in), divided by sqrt(kh * kw) for a convolution: every singular value of the weight (or of each kernel slice) after initialisation.</summary>
    public double Scale { get; }

    /// <summary>Whether the layer's output is the network's output (the logits), as the network's description shows.</summary>
    public bool IsOutput { get; }

    /// <summary>
    /// Whether a batch or instance norm, and nothing else, reads the layer's output, as the network's description shows:
    /// the network then computes the same function at any scale of each of the weight's output channels. Such a layer's
    /// part of G is not reduced by the gradient's measured noise (<see cref="AgdOptimizer.SignalShare"/>): a noisy step
    /// grows its weight's norm, which shrinks its later steps' effect by itself (docs/research/large-batches.md, section 14).
    /// </summary>
    public bool IsNormalised { get; internal init; }

    /// <summary>The share of this layer's gradient that its part of G counts, for the gradient's measured signal share.</summary>
    internal double ShareOf(double signalShare) => IsNormalised ? 1 : signalShare;

    /// <summary>
    /// The scale of the layer's step and of its share of G: <see cref="Scale"/>, except on an output layer with more outputs
    /// than inputs, where it is at most 1. sqrt(out / in) bounds the change of the outputs' mean square, as if it spread over
    /// all of them; cross-entropy feels the largest logit's change, and a step can put all of it on the few classes (tokens) a
    /// batch holds: with a large vocabulary the published scale diverges (docs/research/language-model.md).
    /// </summary>
    public double StepScale { get; private init; }

    /// <summary>One line: the weight's name and shape, its kind, its scale s_k, and the parameters that move with it.</summary>
    public override string ToString()
        => FormattableString.Invariant($"{Name} [{string.Join(", ", Weight.shape)}]{(IsEmbedding ? " embedding" : "")}{(IsNormalised ? " normalised" : "")} s = {Scale:0.####}") +
           (StepScale != Scale ? FormattableString.Invariant($" (output: steps with {StepScale:0.####})") : "") +
           (Members.Count == 0 ? "" : " with " + string.Join(", ", Members.Select(m => m.IsScale ? $"{m.Name} (scale)" : m.Name)));

    /// <summary>The scale s_k of a weight of the given shape.</summary>
    public static double ScaleOf(long[] shape)
    {
        double scale = Math.Sqrt((double)shape[0] / shape[1]);
        return shape.Length == 4 ? scale / Math.Sqrt(shape[2] * shape[3]) : scale;
    }
}

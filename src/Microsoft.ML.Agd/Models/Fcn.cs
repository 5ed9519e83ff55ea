using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Models;

/// <summary>
/// The paper's fully connected network: <c>depth</c> linear layers, each hidden one followed by relu(x) * sqrt(2)
/// (which keeps activations at unit scale), on the flattened input.
/// </summary>
public sealed class Fcn : Block
{
    private static readonly double s_sqrt2 = Math.Sqrt(2);
    private readonly ModuleList<Linear> layers;

    /// <summary>Creates the network.</summary>
    /// <param name="inputSize">Number of input features (for images, channels * height * width).</param>
    /// <param name="width">Width of each hidden layer.</param>
    /// <param name="depth">Number of linear layers, at least 1 (depth 1 is a linear classifier).</param>
    /// <param name="classes">Number of outputs.</param>
    /// <param name="bias">Whether the linear layers have biases (the paper's have none).</param>
    public Fcn(long inputSize, long width, int depth, long classes, bool bias = false) : base(nameof(Fcn))
    {
        Check.Positive(inputSize, nameof(inputSize));
        Check.Positive(width, nameof(width));
        Check.Positive(depth, nameof(depth));
        Check.Positive(classes, nameof(classes));
        var sizes = new[] { inputSize }.Concat(Enumerable.Repeat(width, depth - 1)).Append(classes).ToArray();
        layers = new ModuleList<Linear>(Enumerable.Range(0, depth).Select(i => nn.Linear(sizes[i], sizes[i + 1], hasBias: bias)).ToArray());
        RegisterComponents();
    }

    /// <summary>The parameters an FCN of this size has (as a double: a size too large to build still has a count).</summary>
    internal static double ParameterCount(long inputSize, long width, int depth, long classes, bool bias = false)
        => depth == 1 ? (double)inputSize * classes + (bias ? classes : 0)
            : (double)inputSize * width + (depth - 2.0) * width * width + (double)width * classes + (bias ? (depth - 1.0) * width + classes : 0);

    /// <inheritdoc />
    public override T Compute<T>(IBlockOps<T> ops, T input)
    {
        var x = ops.Flatten(input);
        for (int i = 0; i < layers.Count - 1; i++)
            x = ops.Scale(ops.Relu(ops.Apply(layers[i], x)), s_sqrt2);
        return ops.Apply(layers[^1], x);
    }
}

using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Models;

/// <summary>
/// The paper's fully connected network: <c>depth</c> linear layers, each hidden one followed by relu(x) * sqrt(2)
/// (which keeps activations at unit scale), on the flattened input.
/// </summary>
public sealed class Fcn : nn.Module<Tensor, Tensor>, IOnnxExportable
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

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        var x = input.flatten(1);
        for (int i = 0; i < layers.Count - 1; i++)
            x = nn.functional.relu(layers[i].call(x)).mul(s_sqrt2);
        return layers[^1].call(x);
    }

    string IOnnxExportable.Export(OnnxGraph graph, string input)
    {
        var x = graph.Node("Flatten", [input], null, OnnxGraph.Int("axis", 1));
        for (int i = 0; i < layers.Count - 1; i++)
            x = graph.Scale(graph.Relu(graph.Module(layers[i], x)), s_sqrt2);
        return graph.Module(layers[^1], x);
    }
}

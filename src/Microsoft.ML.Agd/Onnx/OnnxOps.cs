using Microsoft.ML.Agd.Models;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Onnx;

/// <summary>A block's description run on ONNX values: its export, node by node, as it computes in evaluation mode.</summary>
internal sealed class OnnxOps(OnnxGraph graph) : IBlockOps<string>
{
    public string Apply(nn.Module module, string x) => graph.Module(module, x);

    public string Relu(string x) => graph.Relu(x);

    public string Scale(string x, double factor) => graph.Scale(x, factor);

    public string Add(string a, string b) => graph.Node("Add", [a, b]);

    public string Flatten(string x) => graph.Node("Flatten", [x], null, OnnxGraph.Int("axis", 1));

    public string GlobalAveragePool(string x) => graph.Node("GlobalAveragePool", [x]);

    public string Attention(string query, string key, string value, int heads)
        => throw new NotSupportedException("Attention has no ONNX export here: language models are saved with their TorchSharp weights (agd lm), not as ONNX.");

    // The export's input is always an image batch [batch, channels, h, w].
    public string Standardize(string x, Tensor mean, Tensor deviation)
    {
        long[] shape = [1, mean.shape[0], 1, 1];
        var centred = graph.Node("Sub", [x, graph.Floats(mean.view(shape), "mean")]);
        return graph.Node("Div", [centred, graph.Floats(deviation.view(shape), "deviation")]);
    }
}

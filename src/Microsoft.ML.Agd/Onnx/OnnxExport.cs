using Onnx;
using TorchSharp;
using static TorchSharp.torch;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Microsoft.ML.Agd.Onnx;

/// <summary>Writes a trained network, with its input reshaping and softmax, as an ONNX model.</summary>
internal static class OnnxExport
{
    /// <summary>Name of the output holding the class probabilities, [batch, classes].</summary>
    public const string ScoresOutput = "scores";

    /// <summary>Name of the output holding the predicted class name, [batch].</summary>
    public const string PredictedLabelOutput = "predicted_label";

    /// <summary>Name of the output holding the one-hot vector of the predicted class, [batch, classes].</summary>
    public const string OneHotOutput = "predicted_one_hot";

    /// <summary>
    /// Builds the model. Its input, named <paramref name="inputName"/>, is [batch, channels * height * width] floats in
    /// channel-major order (as ML.NET's ExtractPixels writes them).
    /// </summary>
    public static byte[] Export(nn.Module<Tensor, Tensor> network, AgdImageShape shape, IReadOnlyList<string> classNames, string inputName, string outputPrefix = "", bool flatOutputs = false)
    {
        if (network is not IOnnxExportable exportable)
            throw new NotSupportedException($"{network.GetType().Name} cannot be exported to ONNX; Fcn and PreActResNet can.");
        var graph = new OnnxGraph();
        string input = graph.Input(inputName, -1, shape.Size);
        string images = graph.Node("Reshape", [input, graph.Int64s(-1, shape.Channels, shape.Height, shape.Width)]);
        string logits = exportable.Export(graph, images);
        string scores = graph.Node("Softmax", [logits], null, OnnxGraph.Int("axis", 1));
        string index = graph.Node("ArgMax", [scores], null, OnnxGraph.Int("axis", 1), OnnxGraph.Int("keepdims", 0));
        string label = graph.Node("Gather", [graph.Strings(classNames), index], null, OnnxGraph.Int("axis", 0));

        // Flat outputs ([batch * classes]) suit ML.NET, which scores one row at a time and wants a plain vector per row.
        string Shaped(string value) => flatOutputs ? graph.Node("Reshape", [value, graph.Int64s(-1)]) : value;
        long[] dims = flatOutputs ? [-1] : [-1, classNames.Count];
        graph.Output(Shaped(scores), outputPrefix + ScoresOutput, DataType.Float, dims);
        graph.Output(label, outputPrefix + PredictedLabelOutput, DataType.String, -1);
        var oneHot = graph.Node("OneHot", [index, graph.Int64s(classNames.Count), graph.Floats(tensor(new float[] { 0, 1 }))], null, OnnxGraph.Int("axis", 1));
        graph.Output(Shaped(oneHot), outputPrefix + OneHotOutput, DataType.Float, dims);
        return graph.ToBytes(typeof(OnnxExport).Assembly.GetName().Version?.ToString() ?? "");
    }
}

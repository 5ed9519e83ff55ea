using Microsoft.ML.Agd.Onnx;
using System.Runtime.InteropServices;
using static TorchSharp.torch;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Microsoft.ML.Agd;

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
    /// <exception cref="NotSupportedException">A module cannot be exported; the message names its path.</exception>
    public static byte[] Export(nn.Module<Tensor, Tensor> network, AgdImageShape shape, IReadOnlyList<string> classNames, string inputName, string outputPrefix = "", bool flatOutputs = false)
        => Build(network, shape, classNames, inputName, outputPrefix, flatOutputs, dryRun: false).ToBytes(typeof(OnnxExport).Assembly.GetName().Version?.ToString() ?? "");

    /// <summary>
    /// Checks, before any training, that the network reads images of the shape, returns one logit per class, and can be
    /// exported (without copying its weights).
    /// </summary>
    /// <exception cref="ArgumentException">The network fails on such images or returns another shape.</exception>
    /// <exception cref="NotSupportedException">A module cannot be exported; the message names its path.</exception>
    public static void Check(nn.Module<Tensor, Tensor> network, AgdImageShape shape, int classes)
        => Build(network, shape, Enumerable.Range(0, classes).Select(k => $"{k}").ToList(), "features", "", false, dryRun: true);

    private static OnnxGraph Build(nn.Module<Tensor, Tensor> network, AgdImageShape shape, IReadOnlyList<string> classNames, string inputName, string outputPrefix, bool flatOutputs, bool dryRun)
    {
        var graph = new OnnxGraph(Trace(network, shape, classNames.Count), dryRun);
        string input = graph.Input(inputName, -1, shape.Size);
        string images = graph.Node("Reshape", [input, graph.Int64s(-1, shape.Channels, shape.Height, shape.Width)]);
        string logits = graph.Module(network, images);
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
        return graph;
    }

    // Runs two blank images through the network in evaluation mode, recording each module's input shape (some layers'
    // ONNX form depends on it) and checking the output: one logit per class.
    private static Dictionary<nn.Module, long[]> Trace(nn.Module<Tensor, Tensor> network, AgdImageShape shape, int classes)
    {
        var shapes = new Dictionary<nn.Module, long[]>(ReferenceEqualityComparer.Instance);
        var hooks = network.modules().OfType<nn.Module<Tensor, Tensor>>().Prepend(network)
            .Select(m => m.register_forward_pre_hook((module, x) => { shapes[module] = x.shape; return x; })).ToList();
        bool training = network.training;
        var device = network.parameters().FirstOrDefault()?.device ?? CPU;
        try
        {
            network.eval();
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            long[] output;
            try
            {
                output = network.call(zeros([2, shape.Channels, shape.Height, shape.Width], device: device)).shape;
            }
            catch (Exception e) when (e is ExternalException or ArgumentException or InvalidOperationException)
            {
                throw new ArgumentException($"The network fails on images of shape {shape} ({e.Message.Split('\n')[0]}); build it for the image shape it is given.", nameof(network), e);
            }
            if (!output.SequenceEqual([2L, classes]))
                throw new ArgumentException($"The network returns [{string.Join(", ", output)}] for a batch of 2 images of shape {shape}; it must return [2, {classes}]: one logit per class.", nameof(network));
            return shapes;
        }
        finally
        {
            hooks.ForEach(h => h.remove());
            network.train(training);
        }
    }
}

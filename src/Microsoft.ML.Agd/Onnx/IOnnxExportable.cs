namespace Microsoft.ML.Agd.Onnx;

/// <summary>A network that can write itself into an ONNX graph, as it computes in evaluation mode.</summary>
internal interface IOnnxExportable
{
    /// <summary>Adds the network's nodes reading <paramref name="input"/>; returns the name of its output (the logits).</summary>
    string Export(OnnxGraph graph, string input);
}

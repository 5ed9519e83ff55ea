namespace Microsoft.ML.Agd.Onnx;

/// <summary>
/// A module that writes itself into an ONNX graph, as it computes in evaluation mode. Implement it on your own block
/// when <see cref="OnnxGraph.Module"/> does not know it; its children can be written with <see cref="OnnxGraph.Module"/>.
/// </summary>
public interface IOnnxExportable
{
    /// <summary>Adds the module's nodes reading the value named <paramref name="input"/>; returns the name of its output.</summary>
    string Export(OnnxGraph graph, string input);
}

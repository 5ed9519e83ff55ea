namespace Microsoft.ML.Agd;

/// <summary>What a network holds in memory: its weights, and what its modules output for one image (<see cref="ModuleOutputs"/>).</summary>
/// <param name="Parameters">The weights.</param>
/// <param name="OutputsPerImage">The floats its leaf modules output for one image.</param>
internal readonly record struct NetworkSize(double Parameters, double OutputsPerImage);

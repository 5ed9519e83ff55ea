namespace Microsoft.ML.Agd;

/// <summary>What a network holds in memory: its weights, and what its modules make for one image (<see cref="ModuleOutputs"/>).</summary>
/// <param name="Parameters">The weights.</param>
/// <param name="OutputsPerImage">The floats its leaf modules output for one image.</param>
/// <param name="UnfoldPerImage">The floats of its largest convolution's unfolded input for one image.</param>
internal readonly record struct NetworkSize(double Parameters, double OutputsPerImage = 0, double UnfoldPerImage = 0);

namespace Microsoft.ML.Agd.Native;

/// <summary>
/// What the known-answer self-test of libtorch's float32 convolutions found in this process, and the remedy in force.
/// Some libtorch 2.10 builds compute wrong or NaN convolutions on AVX-512 CPUs (its oneDNN kernels); the test finds out
/// on the machine itself rather than from a list of CPUs.
/// </summary>
internal sealed class ConvolutionCheck
{
    internal ConvolutionCheck(IReadOnlyList<ConvolutionCheckCase> cases, ConvolutionRemedy remedy, bool forced)
        => (Cases, Remedy, Forced) = (cases, remedy, forced);

    /// <summary>Each convolution tested, with its errors.</summary>
    internal IReadOnlyList<ConvolutionCheckCase> Cases { get; }

    /// <summary>The remedy in force in this process.</summary>
    public ConvolutionRemedy Remedy { get; }

    /// <summary>Whether the remedy was set by the environment variable <see cref="TorchNative.RemedyVariable"/> rather than chosen by the test.</summary>
    public bool Forced { get; }

    /// <summary>One line for a log: what ran, what failed, and the remedy.</summary>
    public override string ToString()
    {
        var failed = Cases.Where(c => !c.Passed).Select(c => c.Shape.ToString()).ToList();
        string found = failed.Count == 0
            ? $"float32 convolutions passed the self-test ({Cases.Count} shapes)"
            : $"float32 convolutions were wrong for {string.Join(", ", failed)} channels ({failed.Count} of {Cases.Count} shapes)";
        string remedy = Remedy == ConvolutionRemedy.None ? "no remedy needed" : "remedy: every convolution runs without oneDNN";
        return $"{found}; {remedy}{(Forced ? $" (set by {TorchNative.RemedyVariable})" : "")}.";
    }
}

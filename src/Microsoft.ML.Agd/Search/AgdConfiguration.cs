namespace Microsoft.ML.Agd.Search;

/// <summary>One point of the search space.</summary>
/// <param name="Architecture">Network family.</param>
/// <param name="Depth">FCN depth (unused for ResNets).</param>
/// <param name="Width">FCN width (unused for ResNets).</param>
/// <param name="BaseWidth">ResNet base width (unused for FCNs).</param>
/// <param name="BatchSize">Rows per step, or null for the automatic batch.</param>
/// <param name="Loss">The training loss.</param>
public sealed record AgdConfiguration(AgdArchitecture Architecture, int Depth, int Width, int BaseWidth, int? BatchSize, AgdLoss Loss = AgdLoss.Square)
{
    /// <summary>The optimizer that trains this configuration instead of AGD (<see cref="AgdSearchOptions.Optimizers"/>); null for AGD.</summary>
    internal OptimizerChoice? Optimizer { get; init; }

    /// <inheritdoc />
    public override string ToString() => (Architecture == AgdArchitecture.Fcn
        ? $"FCN depth {Depth} width {Width}, {BatchName}, {LossName}"
        : $"{Architecture} base width {BaseWidth}, {BatchName}, {LossName}")
        + (Optimizer is { } other ? $", {other.Name}" : "");

    private string BatchName => BatchSize is { } b ? $"batch {b}" : "automatic batch";

    private string LossName => Loss == AgdLoss.Square ? "square loss" : "cross-entropy";
}

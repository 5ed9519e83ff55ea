using Microsoft.ML.Agd.Training;
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
    /// <summary>The learning rate of a configuration that a grid-searched optimizer trains (benchmarks only); null for AGD.</summary>
    internal double? LearningRate { get; init; }

    /// <inheritdoc />
    public override string ToString() => (Architecture == AgdArchitecture.Fcn
        ? $"FCN depth {Depth} width {Width}, {BatchName}, {LossName}"
        : $"{Architecture} base width {BaseWidth}, {BatchName}, {LossName}")
        + (LearningRate is { } lr ? FormattableString.Invariant($", lr {lr:0.#####}") : "");

    private string BatchName => BatchSize is { } b ? $"batch {b}" : "automatic batch";

    private string LossName => Loss == AgdLoss.Square ? "square loss" : "cross-entropy";
}

using TorchSharp;

namespace Microsoft.ML.Agd.Optim;

/// <summary>
/// A module that says which of its modules form AGD layers, as modula's modules own their geometry: each weight module
/// (a linear layer or a convolution) with the modules whose rank-1 parameters move with it, such as the normalisation
/// that feeds it. Modules no declaration names are grouped by structure (see <see cref="AgdOptimizer.Layers"/>).
/// </summary>
public interface IAgdLayers
{
    /// <summary>The layers this module declares: a weight module and its members.</summary>
    IEnumerable<(torch.nn.Module Weight, IReadOnlyList<torch.nn.Module> Members)> AgdLayers();
}

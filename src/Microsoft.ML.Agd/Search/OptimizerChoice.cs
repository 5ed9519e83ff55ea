using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Search;

/// <summary>An optimizer a search may train a configuration with instead of AGD, and the name trials show for it.</summary>
/// <param name="Name">What a trial's configuration shows, such as "Adam lr 0.001".</param>
/// <param name="Create">Makes the optimizer for a network's parameters.</param>
internal sealed record OptimizerChoice(string Name, Func<nn.Module, optim.Optimizer> Create);

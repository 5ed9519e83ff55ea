using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Optim;

/// <summary>
/// The ranks that take one step together (Training's RankShare): each computes a part of the step, and a sum across
/// them makes every rank's copy whole.
/// </summary>
internal interface IStepRanks
{
    /// <summary>How many ranks step together.</summary>
    int Size { get; }

    /// <summary>This rank's index, from 0.</summary>
    int Rank { get; }

    /// <summary>Replaces a tensor's values with their sums over the ranks.</summary>
    void Sum(Tensor values);
}

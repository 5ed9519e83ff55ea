using Microsoft.ML.Agd.Optim;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Training;

/// <summary>The losses as tensor functions, for training loops written by hand with <see cref="AgdOptimizer"/>.</summary>
public static class AgdLossFunctions
{
    /// <summary>
    /// The mean loss of a batch: <paramref name="output"/> [batch, classes] logits and <paramref name="labels"/> [batch] class
    /// indices, or a class per row and position (a language model's [batch, positions, classes] and [batch, positions]).
    /// </summary>
    public static Tensor Compute(this AgdLoss loss, Tensor output, Tensor labels) => loss switch
    {
        AgdLoss.Square => Square(output, labels),
        AgdLoss.CrossEntropy => nn.functional.cross_entropy(output.reshape(-1, output.shape[^1]), labels.reshape(-1)),
        _ => throw new ArgumentOutOfRangeException(nameof(loss), loss, null),
    };

    private static Tensor Square(Tensor output, Tensor labels)
    {
        long classes = output.shape[^1];
        var target = nn.functional.one_hot(labels, classes).to(output.dtype).mul(Math.Sqrt(classes));
        return output.sub(target).square().mean();
    }
}

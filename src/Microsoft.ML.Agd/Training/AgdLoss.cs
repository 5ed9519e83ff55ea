using static TorchSharp.torch;

namespace Microsoft.ML.Agd;

/// <summary>The training loss.</summary>
public enum AgdLoss
{
    /// <summary>The paper's square loss: mean over batch and classes of (output - sqrt(C) * onehot(label))^2.</summary>
    Square,

    /// <summary>Softmax cross-entropy, better for many classes (the paper's choice for ImageNet).</summary>
    CrossEntropy,
}

/// <summary>The losses as tensor functions.</summary>
internal static class Losses
{
    public static Tensor Compute(AgdLoss loss, Tensor output, Tensor labels) => loss switch
    {
        AgdLoss.Square => Square(output, labels),
        AgdLoss.CrossEntropy => nn.functional.cross_entropy(output, labels),
        _ => throw new ArgumentOutOfRangeException(nameof(loss), loss, null),
    };

    private static Tensor Square(Tensor output, Tensor labels)
    {
        long classes = output.shape[1];
        var target = nn.functional.one_hot(labels, classes).to(output.dtype).mul(Math.Sqrt(classes));
        return output.sub(target).square().mean();
    }
}

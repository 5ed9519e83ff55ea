namespace Microsoft.ML.Agd;

/// <summary>The training loss.</summary>
public enum AgdLoss
{
    /// <summary>The paper's square loss: mean over batch and classes of (output - sqrt(C) * onehot(label))^2.</summary>
    Square,

    /// <summary>Softmax cross-entropy, better for many classes (the paper's choice for ImageNet).</summary>
    CrossEntropy,
}

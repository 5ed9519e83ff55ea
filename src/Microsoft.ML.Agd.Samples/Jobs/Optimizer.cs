namespace Microsoft.ML.Agd.Samples.Jobs;

/// <summary>The optimizers <c>agd compare</c> runs: AGD once, the others over a learning-rate grid.</summary>
internal enum Optimizer
{
    /// <summary>Automatic Gradient Descent: no learning rate.</summary>
    Agd,

    /// <summary>TorchSharp's Adam.</summary>
    Adam,

    /// <summary>TorchSharp's plain SGD.</summary>
    Sgd,
}

namespace Microsoft.ML.Agd.Optim;

/// <summary>Training produced NaN or infinity (in the loss or a gradient), so no usable model came of it.</summary>
public sealed class TrainingDivergedException : InvalidOperationException
{
    /// <summary>Creates the exception with a message that says where training diverged.</summary>
    public TrainingDivergedException(string message) : base(message)
    {
    }
}

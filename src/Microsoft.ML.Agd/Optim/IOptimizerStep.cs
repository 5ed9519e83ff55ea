namespace Microsoft.ML.Agd.Optim;

/// <summary>An optimizer as a training loop drives it: clear the gradients, then step once backward has filled them.</summary>
public interface IOptimizerStep
{
    /// <summary>Sets every parameter's gradient to zero.</summary>
    void ZeroGrad();

    /// <summary>Moves the parameters once; returns the step's learning rate (AGD's automatic eta, or a fixed rate).</summary>
    double Step();
}

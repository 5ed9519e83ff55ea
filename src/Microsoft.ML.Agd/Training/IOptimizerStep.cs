namespace Microsoft.ML.Agd.Training;

/// <summary>An optimizer as <see cref="TrainingLoop"/> drives it: clear the gradients, then step once backward has filled them.</summary>
public interface IOptimizerStep
{
    /// <summary>Sets every parameter's gradient to zero.</summary>
    void ZeroGrad();

    /// <summary>Moves the parameters once; returns the step's learning rate (AGD's automatic eta, or a fixed rate).</summary>
    double Step();
}

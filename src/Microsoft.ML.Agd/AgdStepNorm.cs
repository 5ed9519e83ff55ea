namespace Microsoft.ML.Agd;

/// <summary>Which norm of a layer's gradient (of each kernel position's slice) sizes its AGD step.</summary>
/// <remarks>
/// AGD's bound limits each layer's change in spectral norm (its largest singular value), relative to the weight's. The
/// paper's step divides the gradient by its Frobenius norm, which equals the spectral norm only for a gradient of rank
/// one (one example through a linear layer). A batch's gradient has several comparable singular values, so that step
/// moves each layer by less than the bound allows (docs/research/residual-depth.md).
/// </remarks>
public enum AgdStepNorm
{
    /// <summary>The spectral norm, estimated by subspace iteration continued from the previous step's directions (the default).</summary>
    Spectral = 0,

    /// <summary>The Frobenius norm: the published algorithm, to the reference implementation's values.</summary>
    Frobenius = 1,

    /// <summary>
    /// The spectral norm's steepest descent: each slice moves along its gradient's polar factor U V^T (every singular
    /// value set to one), the change of a given spectral norm that lowers the loss most, and G sums the slices' nuclear
    /// norms. Equal to the published step for a gradient of rank one; for a batch's gradient it moves every direction the
    /// batch measured, not only the largest (docs/research/large-batches.md).
    /// </summary>
    Polar = 2,
}

namespace Microsoft.ML.Agd.Optim;

/// <summary>What one AGD step adds to a layer, per unit of gradient: -rate / ||g_slice|| for each slice of its weight (in
/// the step's norm, <see cref="AgdStepNorm"/>) and -rate / ||g||_F for its rank-1 parameters; 0 where that norm is zero
/// (a zero gradient moves nothing, never NaN).</summary>
internal readonly record struct LayerFactors(double[] Slices, double Members)
{
    public static LayerFactors Of(double[] squaredNorms, double[] norms, double rate)
    {
        static double Factor(double rate, double norm) => norm > 0 ? -rate / norm : 0;
        return new(norms.Select(n => Factor(rate, n)).ToArray(), Factor(rate, Math.Sqrt(squaredNorms.Sum())));
    }

    /// <summary>Every slice's Frobenius norm from its squared norm: the published step's norms.</summary>
    public static double[][] FrobeniusNorms(double[][] squaredNorms) => squaredNorms.Select(s => s.Select(Math.Sqrt).ToArray()).ToArray();

    /// <summary>
    /// The layer's first-order decrease of the loss per unit of rate, which G sums: &lt;g, g / ||g||&gt; = ||g||_F^2 / ||g||
    /// over the slices (||g||_F with the Frobenius norm, as published).
    /// </summary>
    public static double Decrease(double[] squaredNorms, double[] norms)
        => squaredNorms.Zip(norms, (square, norm) => norm == 0 ? 0 : square / norm).Sum(); // NaN stays NaN: the step refuses it
}

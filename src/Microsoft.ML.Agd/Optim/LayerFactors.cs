namespace Microsoft.ML.Agd.Optim;

/// <summary>What one AGD step adds to a layer, per unit of gradient: -rate / ||g_slice|| for each slice of its weight and
/// -rate / ||g||_F for its rank-1 parameters; 0 where that norm is zero (a zero gradient moves nothing, never NaN).</summary>
internal readonly record struct LayerFactors(double[] Slices, double Members)
{
    public static LayerFactors Of(double[] squaredNorms, double rate)
    {
        static double Factor(double rate, double squares) => squares > 0 ? -rate / Math.Sqrt(squares) : 0;
        return new(squaredNorms.Select(s => Factor(rate, s)).ToArray(), Factor(rate, squaredNorms.Sum()));
    }
}

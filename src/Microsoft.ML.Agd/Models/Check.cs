namespace Microsoft.ML.Agd.Models;

/// <summary>Argument checks shared by the public API.</summary>
internal static class Check
{
    /// <summary>The gain multiplies every AGD step; 1 is the algorithm's own step.</summary>
    public static void Gain(double gain, string name)
    {
        if (!double.IsFinite(gain) || gain <= 0)
            throw new ArgumentOutOfRangeException(name, gain, "The gain must be a positive finite number; 1 is the algorithm's own step.");
    }

    /// <summary>The norm that sizes AGD's step must be one of <see cref="Optim.AgdStepNorm"/>'s values.</summary>
    public static void StepNorm(Optim.AgdStepNorm norm, string name)
    {
        if (!Enum.IsDefined(norm))
            throw new ArgumentOutOfRangeException(name, norm, $"{name} must be {string.Join(" or ", Enum.GetNames<Optim.AgdStepNorm>())}.");
    }

    public static void Positive(long value, string name)
    {
        if (value <= 0)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive.");
    }
}

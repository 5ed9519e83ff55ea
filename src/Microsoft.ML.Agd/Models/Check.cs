namespace Microsoft.ML.Agd.Models;

/// <summary>Argument checks shared by the public API.</summary>
internal static class Check
{
    /// <summary>The gain multiplies every AGD step; 1 is the published algorithm.</summary>
    public static void Gain(double gain, string name)
    {
        if (!double.IsFinite(gain) || gain <= 0)
            throw new ArgumentOutOfRangeException(name, gain, "The gain must be a positive finite number; 1 is the published algorithm.");
    }

    public static void Positive(long value, string name)
    {
        if (value <= 0)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive.");
    }
}

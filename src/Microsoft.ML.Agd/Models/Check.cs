namespace Microsoft.ML.Agd.Models;

/// <summary>Argument checks shared by the public API.</summary>
internal static class Check
{
    public static void Positive(long value, string name)
    {
        if (value <= 0)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive.");
    }
}

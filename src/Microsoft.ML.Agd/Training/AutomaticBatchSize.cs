namespace Microsoft.ML.Agd.Training;

/// <summary>
/// The batch size chosen from what training measures. It starts at <see cref="Start"/> and doubles whenever the gradient
/// noise scale (<see cref="GradientNoiseScale"/>) has reached twice it, so the batch follows the noise scale from below
/// within a factor of two and never shrinks: a batch below the noise scale spends steps on noise, one above it spends
/// rows on precision that a step cannot use (McCandlish et al., 2018). As training goes on the noise scale grows, and
/// the growing batch quiets the steps as a decaying learning rate would (Smith et al., 2018, "Don't decay the learning
/// rate, increase the batch size").
/// </summary>
/// <param name="start">The first batch size.</param>
/// <param name="largest">The largest batch allowed (the memory, the data's size).</param>
internal sealed class AutomaticBatchSize(int start, int largest)
{
    /// <summary>The first batch size of a new run: small enough for any data set, large enough to measure the noise scale with halves of 16.</summary>
    public const int Start = 32;

    /// <summary>The largest batch by default: beyond it a step's precision is rarely usable, and its memory rarely there.</summary>
    public const int Largest = 4096;

    // Measurements between two decisions: the smoothed noise scale has then mostly forgotten the batch before.
    private const int Settle = GradientNoiseScale.Memory / 2;

    private int _sinceChange;

    /// <summary>The batch size to use now.</summary>
    public int Current { get; private set; } = Math.Min(start, largest);

    /// <summary>Counts a measured batch and doubles the batch size when the noise scale has reached twice it; returns whether it did.</summary>
    /// <param name="noiseScale">The gradient noise scale measured so far (<see cref="GradientNoiseScale.Value"/>), null while unknown.</param>
    public bool Observe(double? noiseScale)
    {
        if (++_sinceChange < Settle || noiseScale is not { } scale || scale < 2.0 * Current || 2L * Current > largest)
            return false;
        Current *= 2;
        _sinceChange = 0;
        return true;
    }
}

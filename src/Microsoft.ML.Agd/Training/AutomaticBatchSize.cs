namespace Microsoft.ML.Agd.Training;

/// <summary>
/// The batch size chosen from what training measures: the gradient noise scale B_noise (<see cref="GradientNoiseScale"/>)
/// and the time a step takes. McCandlish et al. (2018) model the steps to a given loss as S_min (1 + B_noise / B): a batch
/// below the noise scale spends steps on noise, one above it rows on precision a step cannot use. A step taking a + b B
/// seconds (a fixed, b per row, both measured here), the time to that loss, (a + b B)(1 + B_noise / B), is least at
/// B = sqrt(a B_noise / b). So the batch starts at <see cref="Start"/> and doubles while both hold: the noise scale has
/// reached twice it (never beyond the noise: the rows of a run of given epochs are spent well), and the doubled batch
/// reaches that loss sooner by the measured times. The first doubling has no two sizes' times to compare and follows
/// the noise alone. As the noise scale grows during training the batch grows, which quiets the steps as a decaying
/// learning rate would (Smith et al., 2018, "Don't decay the learning rate, increase the batch size"); it never shrinks.
/// Step times make the choice depend on the machine's speed: set a batch size for a run repeated to the digit.
/// </summary>
/// <param name="start">The first batch size.</param>
/// <param name="largest">The largest batch allowed (the memory, the data's size).</param>
/// <param name="agree">Makes a measured step time the same on every rank (their mean) where ranks train together.</param>
internal sealed class AutomaticBatchSize(int start, int largest, Func<double, double>? agree = null)
{
    /// <summary>The first batch size of a new run: small enough for any data set, large enough to measure the noise scale with halves of 16.</summary>
    public const int Start = 32;

    /// <summary>The largest batch by default: beyond it a step's precision is rarely usable, and its memory rarely there.</summary>
    public const int Largest = 4096;

    // Measurements between two decisions: the smoothed noise scale has then mostly forgotten the batch before.
    private const int Settle = GradientNoiseScale.Memory / 2;

    private readonly Queue<double> _seconds = new();
    private (int Batch, double Seconds)? _before;

    /// <summary>The batch size to use now.</summary>
    public int Current { get; private set; } = Math.Min(start, largest);

    /// <summary>
    /// Counts a measured step and doubles the batch size when the noise scale and the step times say so; returns whether it
    /// did. Every rank calls it after the same steps with the same noise scale, and so decides alike.
    /// </summary>
    /// <param name="noiseScale">The gradient noise scale measured so far (<see cref="GradientNoiseScale.Value"/>), null while unknown.</param>
    /// <param name="stepSeconds">The step's time, from the end of the step before (its batch's reading included).</param>
    public bool Observe(double? noiseScale, double stepSeconds)
    {
        _seconds.Enqueue(stepSeconds);
        if (_seconds.Count > Settle)
            _seconds.Dequeue();
        if (_seconds.Count < Settle || noiseScale is not { } scale || scale < 2.0 * Current || 2L * Current > largest)
            return false;
        double median = Median(), seconds = agree?.Invoke(median) ?? median;
        if (_before is { } before && !Sooner(before, (Current, seconds), scale))
            return false;
        _before = (Current, seconds);
        Current *= 2;
        _seconds.Clear();
        return true;
    }

    /// <summary>
    /// Whether twice the batch reaches a given loss sooner: a step's time a + b B fitted through the two sizes' times,
    /// and the time to the loss (a + b B)(1 + B_noise / B) compared at B and 2 B.
    /// </summary>
    public static bool Sooner((int Batch, double Seconds) before, (int Batch, double Seconds) now, double noiseScale)
    {
        double perRow = (now.Seconds - before.Seconds) / (now.Batch - before.Batch), fixedCost = now.Seconds - perRow * now.Batch;
        double TimeToLoss(double batch) => (fixedCost + perRow * batch) * (1 + noiseScale / batch);
        return TimeToLoss(2.0 * now.Batch) < TimeToLoss(now.Batch);
    }

    // The middle of the current size's recent step times: a step that met an epoch's end or a collection does not move it.
    private double Median()
    {
        var recent = _seconds.Order().ToList();
        return (recent[(recent.Count - 1) / 2] + recent[recent.Count / 2]) / 2;
    }
}

namespace Microsoft.ML.Agd.Training;

/// <summary>
/// The gradient noise scale B = tr(Sigma) / |G|^2 (McCandlish et al., 2018, "An empirical model of large-batch
/// training"): the batch size at which a batch's gradient noise is as large as the gradient itself. Measured at no extra
/// cost from the two halves of every batch: for independent halves g_a and g_b of b/2 rows each, g_a . g_b estimates
/// |G|^2 without bias, and b |g_a - g_b|^2 / 4 estimates tr(Sigma), the per-row gradient covariance's trace, without
/// bias. Each is smoothed on its own (the ratio of two averages, not the average of ratios, which the noise in g_a . g_b
/// would make unbounded), over about the last <see cref="Memory"/> measurements.
/// </summary>
internal sealed class GradientNoiseScale
{
    /// <summary>The smoothing's reach in measurements: an exponential average with weight 1 / Memory on the newest.</summary>
    public const int Memory = 50;

    private double _signal, _noise, _weight;

    /// <summary>Measurements taken.</summary>
    public int Count { get; private set; }

    /// <summary>The estimate, or null until the gradient's estimated squared norm is positive.</summary>
    public double? Value => Count > 0 && _signal > 0 ? _noise / _signal : null;

    /// <summary>The smoothed estimate of |G|^2 (bias corrected, as Adam's moments are).</summary>
    public double Signal => _weight > 0 ? _signal / _weight : double.NaN;

    /// <summary>The smoothed estimate of tr(Sigma).</summary>
    public double Noise => _weight > 0 ? _noise / _weight : double.NaN;

    /// <summary>Adds one batch's measurement.</summary>
    /// <param name="batchSize">Rows in the whole batch (both halves).</param>
    /// <param name="halvesDot">g_a . g_b.</param>
    /// <param name="halvesDistanceSquared">|g_a - g_b|^2.</param>
    public void Add(int batchSize, double halvesDot, double halvesDistanceSquared)
    {
        if (!double.IsFinite(halvesDot) || !double.IsFinite(halvesDistanceSquared))
            return;
        const double decay = 1 - 1.0 / Memory;
        _signal = decay * _signal + halvesDot;
        _noise = decay * _noise + batchSize * halvesDistanceSquared / 4;
        _weight = decay * _weight + 1;
        Count++;
    }
}

namespace Microsoft.ML.Agd.Data;

/// <summary>
/// Per-channel mean and standard deviation of images, accumulated row by row in float64 while the rows are read (no
/// extra pass). Sums are taken about each channel's first value, so 0-255 pixels lose no precision to cancellation.
/// </summary>
internal sealed class ChannelStatistics(int channels, int pixelsPerChannel)
{
    private readonly double[] _shift = new double[channels], _sum = new double[channels], _squares = new double[channels];
    private long _rows;

    /// <summary>Adds one image, channel-major ([channels * pixelsPerChannel]).</summary>
    public void Add(ReadOnlySpan<float> image)
    {
        for (int c = 0; c < _sum.Length; c++)
        {
            var values = image.Slice(c * pixelsPerChannel, pixelsPerChannel);
            if (_rows == 0)
                _shift[c] = values[0];
            double sum = 0, squares = 0;
            foreach (float value in values)
            {
                double d = value - _shift[c];
                sum += d;
                squares += d * d;
            }
            _sum[c] += sum;
            _squares[c] += squares;
        }
        _rows++;
    }

    /// <summary>Each channel's mean.</summary>
    public double[] Mean => _sum.Select((s, c) => _shift[c] + s / Count).ToArray();

    /// <summary>
    /// Each channel's standard deviation over all its pixels (divided by the count, as torchvision's statistics are); 1
    /// for a constant channel, which then becomes zero instead of a division by zero.
    /// </summary>
    public double[] StandardDeviation => _sum.Select((s, c) =>
    {
        double mean = s / Count;
        double deviation = Math.Sqrt(Math.Max(0, _squares[c] / Count - mean * mean));
        return deviation <= 1e-6 * (1 + Math.Abs(_shift[c] + mean)) ? 1.0 : deviation;
    }).ToArray();

    private double Count => (double)_rows * pixelsPerChannel;
}

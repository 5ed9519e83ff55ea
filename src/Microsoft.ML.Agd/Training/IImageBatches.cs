namespace Microsoft.ML.Agd.Training;

/// <summary>
/// Labelled images that training reads in batches, images [n, c, h, w] and labels [n], every labelled row once a pass:
/// held in memory, or streamed (the Data folder reads both from ML.NET views).
/// </summary>
internal interface IImageBatches : IBatches, IDisposable
{
    /// <summary>Each channel's mean, measured on the training data.</summary>
    double[] Mean { get; }

    /// <summary>Each channel's standard deviation (1 for a constant channel).</summary>
    double[] StandardDeviation { get; }

    /// <summary>The distinct classes (0-based) among the labelled rows.</summary>
    long[] Classes { get; }
}


namespace Microsoft.ML.Agd;

/// <summary>
/// Whether a training run fits this machine's memory, checked before any row is read or any weight made: a network or
/// a batch too large is named, rather than left to fail deep inside libtorch or to have the system kill the process.
/// </summary>
internal static class TrainingMemory
{
    // The weights, their gradients, the epoch's starting copy (undone on a stop), the best epoch's copy, and the tail
    // average's float64 sums: about six float32 copies.
    private const int CopiesOfTheWeights = 6;

    /// <summary>This machine's (or container's) memory in bytes.</summary>
    public static double Available => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>Checks that <paramref name="parameters"/> weights fit; <paramref name="option"/> is what to make smaller.</summary>
    /// <param name="parameters">The weights.</param>
    /// <param name="network">The network, as the message names it.</param>
    /// <param name="option">The option to make smaller.</param>
    /// <exception cref="ArgumentOutOfRangeException">They do not; the message gives the sizes and names the option.</exception>
    /// <param name="imagesToo">Whether the images' size is as much the cause (an FCN's first layer grows with it).</param>
    public static void CheckParameters(double parameters, string network, string option, bool imagesToo = false)
    {
        double bytes = parameters * sizeof(float) * CopiesOfTheWeights;
        if (bytes > Available)
            throw new ArgumentOutOfRangeException(option,
                $"{network} would have {parameters:G3} parameters; training keeps about {CopiesOfTheWeights} copies of them ({Size(bytes)}), more than this " +
                $"machine's {Size(Available)} of memory. Make {option}{(imagesToo ? " or the images" : "")} smaller.");
    }

    /// <summary>Checks that a batch of images (as read, and standardized by the network) fits.</summary>
    /// <exception cref="ArgumentOutOfRangeException">It does not; the message gives the sizes and names the options.</exception>
    public static void CheckBatch(long rows, AgdImageShape shape)
    {
        double bytes = 2.0 * rows * shape.Size * sizeof(float);
        if (bytes > Available)
            throw new ArgumentOutOfRangeException(nameof(AgdImageClassificationTrainer.Options.BatchSize),
                $"A batch of {rows} images of {shape} takes {Size(bytes)} as read and standardized, more than this machine's {Size(Available)} of memory. " +
                "Make BatchSize or the images smaller.");
    }

    /// <summary>
    /// The largest automatic batch for images of a shape: at most <see cref="Training.AutomaticBatchSize.Largest"/>, and its
    /// images, as read and standardized, within a sixteenth of the memory (a network's activations take many times more).
    /// </summary>
    public static int LargestBatch(AgdImageShape shape)
        => (int)Math.Clamp(Available / 16 / (2.0 * shape.Size * sizeof(float)), Training.AutomaticBatchSize.Start, Training.AutomaticBatchSize.Largest);

    private static string Size(double bytes) => bytes >= 1e12 ? $"{bytes / 1e12:G3} TB" : $"{bytes / 1e9:G3} GB";
}

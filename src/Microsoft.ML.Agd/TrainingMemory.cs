
namespace Microsoft.ML.Agd;

/// <summary>
/// Whether a training run fits this machine's memory, checked before any row is read or any weight made: a network or
/// a batch too large is named, rather than left to fail deep inside libtorch or to have the system kill the process.
/// </summary>
internal static class TrainingMemory
{
    // The weights, their gradients, the epoch's starting copy (undone on a stop), the best epoch's copy, the tail
    // average's float64 sums, the polar step's float64 gradient and factors, and the ONNX export's copy: about sixteen
    // float32 copies (an FCN of 1.9e8 parameters on 2000x2000 images peaked at 12.6 GB, 65 bytes a parameter, 2026-12-06).
    private const int CopiesOfTheWeights = 16;

    // A batch is read into one buffer, which a span reaches: at most 2 GiB.
    private const double LargestBatchBytes = int.MaxValue;

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

    /// <summary>Checks that a batch of images (as read, and standardized by the network) fits, and in the 2 GiB a batch is read into.</summary>
    /// <exception cref="ArgumentOutOfRangeException">It does not; the message gives the sizes and names the options.</exception>
    public static void CheckBatch(long rows, AgdImageShape shape)
    {
        double bytes = 2.0 * rows * shape.Size * sizeof(float);
        if (bytes / 2 > LargestBatchBytes)
            throw new ArgumentOutOfRangeException(nameof(AgdImageClassificationTrainer.Options.BatchSize),
                $"A batch of {rows} images of {shape} takes {Size(bytes / 2)}, more than the 2 GiB a batch is read into. Make BatchSize or the images smaller.");
        if (bytes > Available)
            throw new ArgumentOutOfRangeException(nameof(AgdImageClassificationTrainer.Options.BatchSize),
                $"A batch of {rows} images of {shape} takes {Size(bytes)} as read and standardized, more than this machine's {Size(Available)} of memory. " +
                "Make BatchSize or the images smaller.");
    }

    /// <summary>
    /// The largest automatic batch for images of a shape: at most <see cref="Training.AutomaticBatchSize.Largest"/>, and its
    /// images, as read and standardized, within a sixteenth of the memory (a network's activations take many times more), and
    /// read into at most 2 GiB.
    /// </summary>
    public static int LargestBatch(AgdImageShape shape)
        => (int)Math.Clamp(Math.Min(Available / 16 / 2, LargestBatchBytes) / (shape.Size * sizeof(float)), FirstBatch(shape), Training.AutomaticBatchSize.Largest);

    /// <summary>
    /// The automatic batch's first size: <see cref="Training.AutomaticBatchSize.Start"/>, or fewer images where that many
    /// would not fit in the 2 GiB a batch is read into (images of thousands of pixels a side).
    /// </summary>
    public static int FirstBatch(AgdImageShape shape)
        => (int)Math.Clamp(LargestBatchBytes / (shape.Size * sizeof(float)), 1, Training.AutomaticBatchSize.Start);

    private static string Size(double bytes) => bytes >= 1e12 ? $"{bytes / 1e12:G3} TB" : $"{bytes / 1e9:G3} GB";
}

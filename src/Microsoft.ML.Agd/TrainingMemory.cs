
namespace Microsoft.ML.Agd;

/// <summary>
/// Whether a training run fits this machine's memory, checked before any row is read or any weight made: a network or
/// a batch too large is named, rather than left to fail deep inside libtorch or to have the system kill the process.
/// </summary>
internal static class TrainingMemory
{
    // The weights, their gradients, the epoch's starting copy (undone on a stop), the best epoch's copy, the tail
    // average's float64 sums, the polar step's float64 gradient and factors, and the ONNX export's copy: about eighteen
    // float32 copies (FCNs of depth 2 on huge images: 1.9e8 parameters peaked at 12.6 GB, 2026-12-06; 3.0e8 at 23.0 GB
    // with a batch of 15 images of 3x2500x2500, 2026-12-07).
    private const int CopiesOfTheWeights = 18;

    // Training a batch takes about three times the floats its modules output (ResNet-18 of base width 16 on 512 x 512
    // images: 55.7 MB more for each image of a batch, 2026-12-07; see ModuleOutputs).
    private const double ActivationCopies = 3;

    // The largest convolution's unfolded input, built for the forward pass and again for the backward (ResNet-18 of base
    // width 16 on 1500 x 1500 images: 1.27 GB an image, measured at 4.6 GB for three in a 6 GiB container, 2026-12-07;
    // its outputs three times over make 0.6 GB, its stem's unfold twice 0.66 GB).
    private const double UnfoldCopies = 2;

    // A batch is read into one buffer, which a span reaches: at most 2 GiB.
    private const double LargestBatchBytes = int.MaxValue;

    /// <summary>
    /// The memory this process may use, in bytes: the machine's (or container's), or an equal share of it for each rank
    /// that an MPI launcher started on this machine, which all use it at once (MPICH's and Intel MPI's MPI_LOCALNRANKS).
    /// </summary>
    public static double Available => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / RanksHere;

    private static int RanksHere => int.TryParse(Environment.GetEnvironmentVariable("MPI_LOCALNRANKS"), out int ranks) && ranks > 1 ? ranks : 1;

    /// <summary>The memory the checks compare with, as their messages name it ("this machine's 4.83 GB of memory").</summary>
    internal static string Memory => RanksHere == 1 ? $"this machine's {Size(Available)} of memory"
        : $"the {Size(Available)} of memory each of the {RanksHere} ranks on this machine may use";

    /// <summary>
    /// What this process holds already (its resident memory): the runtime, the native libraries, and what the application
    /// keeps, data read into memory included. The free memory glibc keeps for reuse is handed back first, so that an earlier
    /// run's freed batches do not count; measured after <see cref="CollectGarbage"/> it also leaves out garbage.
    /// </summary>
    public static double InUse
    {
        get
        {
            Native.FreedMemory.GiveBack();
            return Environment.WorkingSet;
        }
    }

    /// <summary>
    /// Frees the managed garbage before memory is measured or training starts. Reading a view can leave as much garbage
    /// as the data (a view that decodes its images on every read leaves an array an image), and the collector, which
    /// does not see the native memory a training step takes, would keep it until the system kills the process.
    /// </summary>
    public static void CollectGarbage()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers(); // tensors no one disposed free their native memory here
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true); // and give the freed memory back to the system now
    }

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
                $"{network} would have {parameters:G3} parameters; training keeps about {CopiesOfTheWeights} copies of them ({Size(bytes)}), more than " +
                $"{Memory}. Make {option}{(imagesToo ? " or the images" : "")} smaller.");
    }

    /// <summary>
    /// Checks that a batch of images fits the 2 GiB it is read into, and, beside the weights' copies, the machine's memory:
    /// each image as read and standardized, and the activations the network keeps for the backward pass.
    /// </summary>
    /// <param name="rows">The batch's images.</param>
    /// <param name="shape">Their shape.</param>
    /// <param name="network">The network's size (its outputs per image zero where not yet known).</param>
    /// <param name="batchGiven">Whether the user set the batch size (else it is the automatic batch's smallest start).</param>
    /// <exception cref="ArgumentOutOfRangeException">It does not; the message gives the sizes and names the options.</exception>
    public static void CheckBatch(long rows, AgdImageShape shape, NetworkSize network, bool batchGiven)
    {
        double read = (double)rows * shape.Size * sizeof(float), batch = rows * BytesPerImage(shape, network), weights = WeightBytes(network);
        string images = rows == 1 ? $"One image of {shape}" : $"A batch of {rows} images of {shape}";
        // A batch the user set can be made smaller; the automatic batch already starts as small as training allows.
        string option = batchGiven ? nameof(AgdImageClassificationTrainer.Options.BatchSize) : nameof(AgdImageClassificationTrainer.Options.ImageShape);
        bool fewer = batchGiven && rows > 1;
        if (read > LargestBatchBytes)
            throw new ArgumentOutOfRangeException(option,
                $"{images} takes {Size(read)}, more than the 2 GiB a batch is read into. Make {(fewer ? "BatchSize or " : "")}the images smaller.");
        double held = InUse;
        if (held + weights + batch > Available)
            throw new ArgumentOutOfRangeException(option,
                $"{images} needs about {Size(batch)} in training (the images and the network's activations), and the network's weights {Size(weights)}, " +
                $"beside the {Size(held)} this process holds: more than {Memory}. " + (held >= weights + batch
                    // Shrinking a network that is the lesser part cannot make room: the runtime and native libraries are most of it.
                    ? "Most of that is the process itself (the .NET runtime, libtorch and the data it holds), not the network: give the process more memory (raise the container's or the job's memory limit)."
                    : $"Make {(fewer ? "BatchSize, " : "")}the images or the network smaller."));
    }

    /// <summary>
    /// The largest automatic batch: at most <see cref="Training.AutomaticBatchSize.Largest"/>, its images as read and
    /// standardized within a sixteenth of the memory and in the 2 GiB a batch is read into, and in training within half
    /// the memory the weights leave.
    /// </summary>
    public static int LargestBatch(AgdImageShape shape, NetworkSize network)
    {
        double fits = Math.Min(Math.Min(Available / 16 / 2, LargestBatchBytes) / (shape.Size * sizeof(float)), FitInTraining(shape, network));
        return (int)Math.Clamp(fits, FirstBatch(shape, network), Training.AutomaticBatchSize.Largest);
    }

    /// <summary>
    /// The automatic batch's first size: <see cref="Training.AutomaticBatchSize.Start"/>, or fewer images where that many
    /// would not fit in the 2 GiB a batch is read into, or in training (images of thousands of pixels a side).
    /// </summary>
    public static int FirstBatch(AgdImageShape shape, NetworkSize network)
    {
        double fits = Math.Min(LargestBatchBytes / (shape.Size * sizeof(float)), FitInTraining(shape, network));
        return (int)Math.Clamp(fits, 2, Training.AutomaticBatchSize.Start); // a batch norm needs two rows, the noise scale two halves
    }

    /// <summary>
    /// Whether a data set of <paramref name="bytes"/> can be held in memory: within half of what the process, the weights
    /// and a first batch of <paramref name="batch"/> images leave (the other half for the batches growing and what the
    /// estimate misses).
    /// </summary>
    public static bool DataFits(double bytes, long batch, AgdImageShape shape, NetworkSize network)
        => bytes <= (Available - InUse - WeightBytes(network) - batch * BytesPerImage(shape, network)) / 2;

    // The images whose training fits in half the memory the process and the weights leave (the other half for what the
    // estimate misses).
    private static double FitInTraining(AgdImageShape shape, NetworkSize network) => (Available - InUse - WeightBytes(network)) / 2 / BytesPerImage(shape, network);

    private static double WeightBytes(NetworkSize network) => network.Parameters * sizeof(float) * CopiesOfTheWeights;

    // An image as read and as standardized, and its activations: every module's output is kept for the backward pass, and
    // the ReLUs between modules and the backward pass's gradients add about as much again.
    private static double BytesPerImage(AgdImageShape shape, NetworkSize network)
        => (2.0 * shape.Size + ActivationCopies * network.OutputsPerImage + UnfoldCopies * network.UnfoldPerImage) * sizeof(float);

    internal static string Size(double bytes) => bytes switch
    {
        >= 1e12 => $"{bytes / 1e12:G3} TB",
        >= 1e9 => $"{bytes / 1e9:G3} GB",
        _ => $"{bytes / 1e6:G3} MB",
    };
}

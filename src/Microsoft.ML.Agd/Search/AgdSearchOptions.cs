namespace Microsoft.ML.Agd.Search;

/// <summary>
/// What an <see cref="AgdSearch"/> explores and for how long. Every trial is one AGD run, so there is no learning rate
/// in the space: only the architecture, its size and the batch size. Empty lists are filled from the data.
/// </summary>
public sealed class AgdSearchOptions
{
    /// <summary>The label column (a key type). Default "Label".</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>The feature column (a known-size vector of Single). Default "Features".</summary>
    public string FeatureColumnName { get; set; } = "Features";

    /// <summary>The image shape, when the feature column does not carry it; ResNets are searched only when it is known.</summary>
    public AgdImageShape? ImageShape { get; set; }

    /// <summary>
    /// Optimizers that also train every configuration, each instead of AGD (the space is as many times larger): a
    /// benchmark runs the search an AutoML user would run with another optimizer and its grid. Empty, the default: AGD only.
    /// </summary>
    internal IReadOnlyList<OptimizerChoice> Optimizers { get; set; } = [];

    /// <summary>Wall time the whole search may take; it stops within about a tenth of it. Default 10 minutes.</summary>
    public TimeSpan Budget { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Families to try. Default: FCN, and ResNet-18 when the image shape is known.</summary>
    public IList<AgdArchitecture> Architectures { get; set; } = [];

    /// <summary>FCN depths to try. Default 2, 3, 4.</summary>
    public IList<int> Depths { get; set; } = [];

    /// <summary>FCN widths to try. Default: the powers of two from half to twice the image size, within 128 to 2048 (512 and 1024 for 28x28 grey images).</summary>
    public IList<int> Widths { get; set; } = [];

    /// <summary>
    /// ResNet base widths to try. Default 8: a ResNet's convolution work grows with the square of its base width, so each
    /// doubling costs four times the time per epoch, and a budget of minutes on a CPU trains few epochs of the narrowest;
    /// add wider ones for longer budgets or a GPU.
    /// </summary>
    public IList<int> BaseWidths { get; set; } = [];

    /// <summary>Batch sizes to try. Default none: every trial trains with the automatic batch (<see cref="AgdImageClassificationTrainer.Options.BatchSize"/>).</summary>
    public IList<int> BatchSizes { get; set; } = [];

    /// <summary>
    /// Configurations in the first rung of successive halving; each later rung keeps the better half with twice the
    /// epochs. Across ranks (<see cref="Communicator"/>), as many on each rank. Default 8.
    /// </summary>
    public int InitialTrials { get; set; } = 8;

    /// <summary>
    /// Epochs of a first-rung trial. A fraction trains one pass over that share of the training rows (at least 1,024
    /// of them), so slow configurations are compared cheaply; from one epoch on, rungs train whole epochs. Default 0.125.
    /// </summary>
    public double InitialEpochs { get; set; } = 0.125;

    /// <summary>
    /// Most of the budget successive halving may spend; the rest, and whatever it leaves, trains the best configuration
    /// on. It usually needs far less. Default 0.5.
    /// </summary>
    public double ExplorationShare { get; set; } = 0.5;

    /// <summary>Most epochs the best configuration may train in all; the budget usually ends it first. Default 500.</summary>
    public int MaxEpochs { get; set; } = 500;

    /// <summary>Share of the training data held out for validation when no validation data is given. Default 0.1.</summary>
    public double ValidationFraction { get; set; } = 0.1;

    /// <summary>Seed of the sampled configurations, the split and every trial. Default 0.</summary>
    public int Seed { get; set; }

    /// <summary>
    /// Losses to try. Default cross-entropy, which trains further than the paper's square loss in a short budget; add
    /// <see cref="AgdLoss.Square"/> to compare them (it doubles the space).
    /// </summary>
    public IList<AgdLoss> Losses { get; set; } = [];

    /// <summary>
    /// The ranks that search together (for MPI jobs, <see cref="Distributed.MpiCommunicator"/>), or null to search in this
    /// process alone (the default). Every rank runs the search with the same options and data: each trains its own share
    /// of the configurations (as many as <see cref="InitialTrials"/> each), promotes them without waiting for the others'
    /// trials, as ASHA does, and trains its best on to the budget's end; every rank then returns the same result, with
    /// every rank's trials and the best model.
    /// </summary>
    public Training.AgdCommunicator? Communicator { get; set; }

    /// <summary>Hears of every trial as it ends: with a <see cref="Communicator"/>, other ranks' trials too, as they are heard of.</summary>
    public IProgress<AgdTrial>? Progress { get; set; }

    /// <summary>
    /// Stops the search after the running trial's current batch (that trial's unfinished epoch is undone); the best model
    /// so far is returned, or <see cref="OperationCanceledException"/> is thrown when no trial had finished an epoch.
    /// </summary>
    public CancellationToken CancellationToken { get; set; }
}

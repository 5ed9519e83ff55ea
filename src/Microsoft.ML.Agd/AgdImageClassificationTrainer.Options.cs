using Microsoft.ML.Agd.Models;
using Microsoft.ML.Agd.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd;

public sealed partial class AgdImageClassificationTrainer
{
    /// <summary>
    /// Options of the AGD trainer. There is no learning rate, schedule, momentum or weight decay: AGD derives its step
    /// from the architecture and the gradients.
    /// </summary>
    public sealed class Options
    {
        /// <summary>The label column: a key type (from MapValueToKey). Default "Label".</summary>
        public string LabelColumnName { get; set; } = Defaults.LabelColumnName;

        /// <summary>The feature column: a known-size vector of Single, such as ExtractPixels writes. Default "Features".</summary>
        public string FeatureColumnName { get; set; } = Defaults.FeatureColumnName;

        /// <summary>The network family. Default <see cref="AgdArchitecture.Fcn"/>.</summary>
        public AgdArchitecture Architecture { get; set; } = Defaults.Architecture;

        /// <summary>Number of linear layers of an FCN. Default 3.</summary>
        public int Depth { get; set; } = Defaults.Depth;

        /// <summary>Hidden width of an FCN. Default 512.</summary>
        public int Width { get; set; } = Defaults.Width;

        /// <summary>Channels of a ResNet's first stage (the paper's is 64). Default 16, which trains well on a CPU.</summary>
        public int BaseWidth { get; set; } = Defaults.BaseWidth;

        /// <summary>
        /// Channels, height and width of the images, in ExtractPixels' channel-major order. Read from the feature column
        /// when it carries them (ExtractPixels' output does); required otherwise for ResNets. An FCN needs none.
        /// </summary>
        public AgdImageShape? ImageShape { get; set; }

        /// <summary>Passes over the training data. Default 10.</summary>
        public int NumberOfEpochs { get; set; } = Defaults.NumberOfEpochs;

        /// <summary>
        /// Rows per step, or null (the default) for an automatic batch: it starts at 32 and doubles as the gradient noise
        /// scale measured during training grows (the noise scale is the batch beyond which a larger batch no longer makes a
        /// step more useful), while the measured step times say the doubled batch trains faster, up to a tenth of the
        /// training rows and 4,096. Each epoch's <see cref="Training.AgdEpoch.BatchSize"/> and
        /// <see cref="Training.AgdEpoch.NoiseScale"/> say what it chose. The choice follows the machine's speed, so set a
        /// number to train with a fixed batch and repeat a run to the digit.
        /// </summary>
        public int? BatchSize { get; set; }

        /// <summary>The loss. Default <see cref="AgdLoss.Square"/>, as in the paper.</summary>
        public AgdLoss Loss { get; set; } = Defaults.Loss;

        /// <summary>Where training runs. Default <see cref="AgdDevice.Auto"/>.</summary>
        public AgdDevice Device { get; set; } = AgdDevice.Auto;

        /// <summary>
        /// Seed of the initial weights and of the batch order; the same seed, data and batch sizes give the same model on a CPU
        /// (an automatic batch grows with the measured step times too: set <see cref="BatchSize"/> to repeat a run exactly). Default 0.
        /// </summary>
        public int Seed { get; set; }

        /// <summary>
        /// Advanced: how AGD's step is shaped from each gradient slice. <see cref="AgdStepNorm.Polar"/>, the default,
        /// moves every direction a batch measured by as much as AGD's bound allows, and trains further than the others at
        /// every batch size measured on images; <see cref="AgdStepNorm.Spectral"/> costs less per step on a CPU with
        /// wide layers; <see cref="AgdStepNorm.Frobenius"/> is the published algorithm.
        /// </summary>
        public AgdStepNorm StepNorm { get; set; } = AgdStepNorm.Polar;

        /// <summary>
        /// An optimizer to train with in AGD's place, made for the network once it is initialised: benchmarks measure
        /// searches with a learning-rate grid against AGD's. Internal: no public option sets a learning rate.
        /// </summary>
        internal Func<nn.Module, optim.Optimizer>? OptimizerInsteadOfAgd { get; set; }

        /// <summary>
        /// Return the network of the epoch with the best validation accuracy rather than of the last epoch (as early
        /// stopping with restored weights does), so training longer cannot make the model worse on the validation data.
        /// Needs validation data: <c>Fit(trainData, validationData)</c>. Costs one copy of the weights. Default false.
        /// </summary>
        public bool KeepBestEpoch { get; set; }

        /// <summary>
        /// Your own network, instead of <see cref="Architecture"/>'s: called with the image shape and the number of classes, it
        /// returns a TorchSharp module that maps images [batch, channels, height, width] to logits [batch, classes], for
        /// example an <c>nn.Sequential</c> of convolutions, normalisations, activations, pooling and linear layers. AGD makes
        /// each rank-2/4 weight a layer (see <see cref="Optim.AgdPlan"/>); the model exports to ONNX when every module
        /// is one of TorchSharp's standard layers or a <see cref="Models.Block"/> built of them. Both are checked before
        /// the first step. The fitted model saves and loads without the factory.
        /// </summary>
        public Func<AgdImageShape, int, nn.Module<Tensor, Tensor>>? NetworkFactory { get; set; }

        /// <summary>The architecture trained: <see cref="AgdArchitecture.Custom"/> when a <see cref="NetworkFactory"/> is set, else <see cref="Architecture"/>.</summary>
        public AgdArchitecture EffectiveArchitecture => NetworkFactory is null ? Architecture : AgdArchitecture.Custom;

        /// <summary>The network these options describe (the factory's, or the architecture's at its size), before AGD's initialisation.</summary>
        public nn.Module<Tensor, Tensor> CreateNetwork(AgdImageShape shape, int classes)
        {
            if (NetworkFactory is null)
            {
                _ = CheckMemory(shape, classes, rows: null);
                return AgdNetworks.Create(Architecture, shape, classes, Depth, Width, BaseWidth);
            }
            try
            {
                return NetworkFactory(shape, classes) ?? throw new InvalidOperationException($"NetworkFactory returned null for images of shape {shape} and {classes} classes; it must return the network.");
            }
            catch (System.Runtime.InteropServices.ExternalException e) when (e.Message.Contains("allocate", StringComparison.Ordinal))
            {
                // A factory's size is its own: its weights are counted once built, unless libtorch cannot even allocate them.
                throw new InvalidOperationException($"The network NetworkFactory builds for images of shape {shape} needs more memory than this machine's " +
                    $"{TrainingMemory.Available / 1e9:G3} GB ({e.Message.Split('\n')[0].Trim()}). Make the network smaller.", e);
            }
        }

        /// <summary>
        /// Checks, before any row is read or any weight made, that a batch of the images and (for a built-in architecture)
        /// the network fit this machine's memory; a factory's network is checked once built.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">They do not; the message gives the sizes and the option to make smaller.</exception>
        internal NetworkSize CheckMemory(AgdImageShape shape, int classes, long? rows)
        {
            var size = new NetworkSize(0); // a factory's network is measured once built
            if (NetworkFactory is null)
            {
                double parameters = AgdNetworks.ParameterCount(Architecture, shape, classes, Depth, Width, BaseWidth);
                bool inputLayerMost = Architecture == AgdArchitecture.Fcn && (double)shape.Size * Width >= parameters / 2; // the images' size as much the cause
                TrainingMemory.CheckParameters(parameters, Architecture == AgdArchitecture.Fcn ? $"An FCN of depth {Depth} and width {Width}" : $"A {Architecture} of base width {BaseWidth}",
                    Architecture == AgdArchitecture.Fcn ? (Depth > 2 && Depth > Width ? nameof(Depth) : nameof(Width)) : nameof(BaseWidth), inputLayerMost);
                size = AgdNetworks.Size(Architecture, shape, classes, Depth, Width, BaseWidth, parameters);
            }
            CheckBatch(shape, size, rows);
            return size;
        }

        /// <summary>Checks that the first batch fits beside a network of a size (<see cref="TrainingMemory.CheckBatch"/>).</summary>
        internal void CheckBatch(AgdImageShape shape, NetworkSize size, long? rows)
        {
            int batch = BatchSize ?? TrainingMemory.FirstBatch(shape, size);
            TrainingMemory.CheckBatch(Math.Min(batch, rows ?? batch), shape, size, BatchSize is not null);
        }

        /// <summary>In memory or streamed (see <see cref="AgdDataLoading"/>); by default in memory when the images fit in <see cref="InMemoryLimitBytes"/> and beside what training needs.</summary>
        public AgdDataLoading DataLoading { get; set; } = AgdDataLoading.Auto;

        /// <summary>The most float32 image bytes that <see cref="AgdDataLoading.Auto"/> reads into memory; 1 GiB by default.</summary>
        public long InMemoryLimitBytes { get; set; } = 1L << 30;

        /// <summary>Receives each epoch's measurements as training goes.</summary>
        public IProgress<AgdEpoch>? Progress { get; set; }

        /// <summary>Stops training after the current batch; the epoch it was in is undone, and the model of the last whole epoch is returned.</summary>
        public CancellationToken CancellationToken { get; set; }

        /// <summary>
        /// The processes (ranks) that train this model together, data-parallel, or null (the default) for this process
        /// alone. Every rank calls <c>Fit</c> with the same data, options and seed, computes its part of every batch
        /// (<see cref="BatchSize"/> counts the rows of all ranks together; batch norms take their statistics over all of
        /// them), and ends with the same model: the one a single process would train with that batch size, up to float32
        /// rounding. For MPI jobs: <see cref="Distributed.MpiCommunicator"/>.
        /// </summary>
        public AgdCommunicator? Communicator { get; set; }

        /// <summary>Checks every option, as the trainer's constructor does, so that a mistake is named before any data is read.</summary>
        /// <exception cref="ArgumentException">An option is out of range or missing; the message names it.</exception>
        public void Validate()
        {
            CheckName(LabelColumnName, nameof(LabelColumnName));
            CheckName(FeatureColumnName, nameof(FeatureColumnName));
            Check.Positive(Depth, nameof(Depth));
            Check.Positive(Width, nameof(Width));
            Check.Positive(BaseWidth, nameof(BaseWidth));
            Check.Positive(NumberOfEpochs, nameof(NumberOfEpochs));
            if (BatchSize is { } batch)
                Check.Positive(batch, nameof(BatchSize));
            Check.Positive(InMemoryLimitBytes, nameof(InMemoryLimitBytes));
            if (Architecture == AgdArchitecture.Custom && NetworkFactory is null)
                throw new ArgumentException("Architecture Custom needs a NetworkFactory that builds the network.", nameof(NetworkFactory));
            if (ImageShape is { } s && (s.Channels <= 0 || s.Height <= 0 || s.Width <= 0))
                throw new ArgumentOutOfRangeException(nameof(ImageShape), s, "Every dimension of the image shape must be positive.");
            if (!Enum.IsDefined(StepNorm))
                throw new ArgumentOutOfRangeException(nameof(StepNorm), StepNorm, $"StepNorm must be {string.Join(" or ", Enum.GetNames<AgdStepNorm>())}.");
        }

        private static void CheckName(string name, string option)
        {
            if (string.IsNullOrWhiteSpace(name))
                throw new ArgumentException($"{option} must name a column.", option);
        }
    }
}

using Microsoft.ML.Agd.Data;
using Microsoft.ML.Agd.Models;
using Microsoft.ML.Agd.Native;
using Microsoft.ML.Agd.Optim;
using Microsoft.ML.Agd.Training;
using Microsoft.ML.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd;

/// <summary>
/// Trains an image classifier (a fully connected network, a pre-activation ResNet, or your own network) with Automatic
/// Gradient Descent: no learning rate to choose. Input: a known-size float vector of pixels, at any scale, and a
/// key-typed label. Output: <c>Score</c> (class probabilities) and <c>PredictedLabel</c> (the label's key type), as
/// ML.NET's multiclass trainers add them. The network standardizes its own input with each channel's mean and standard
/// deviation over the training data (<see cref="StandardizedNetwork"/>): AGD's step assumes inputs of unit scale, and there
/// is no learning rate to absorb another; the statistics travel with the model, so prediction takes the same raw pixels.
/// </summary>
public sealed partial class AgdImageClassificationTrainer : IEstimator<AgdImageClassificationTransformer>
{
    // Seeds of continued runs step by a prime, so that no two (seed, epochs done) pairs share a batch-order stream in practice.
    private const ulong ContinuationSeedStride = 7919;

    private readonly Options _options;
    private readonly InputColumns _columns;

    /// <summary>Creates the trainer; <c>mlContext.MulticlassClassification.Trainers.Agd(...)</c> is the usual way.</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names it.</exception>
    public AgdImageClassificationTrainer(Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _columns = new InputColumns(options.FeatureColumnName, options.LabelColumnName);
    }

    /// <summary>Trains on <paramref name="input"/>.</summary>
    public AgdImageClassificationTransformer Fit(IDataView input) => Fit(input, null);

    /// <summary>Trains on <paramref name="trainData"/>, measuring loss and accuracy on <paramref name="validationData"/> after every epoch.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type, or the sizes disagree; the message names it.</exception>
    /// <exception cref="InvalidOperationException">The data is empty, has one class or non-finite values, or training diverged.</exception>
    public AgdImageClassificationTransformer Fit(IDataView trainData, IDataView? validationData) => Train(trainData, validationData, null);

    /// <summary>
    /// Continues training <paramref name="initialModel"/> for <see cref="Options.NumberOfEpochs"/> more epochs, as ML.NET's
    /// linear trainers continue from model parameters. AGD keeps no state between steps, so this is the same as never
    /// having stopped (up to the batch order). <paramref name="initialModel"/> itself is not changed; the result's
    /// history holds its epochs and the new ones.
    /// </summary>
    /// <exception cref="ArgumentException">The options describe a different network than <paramref name="initialModel"/>'s; the message names the first difference.</exception>
    public AgdImageClassificationTransformer Fit(IDataView trainData, IDataView? validationData, AgdModel initialModel)
    {
        ArgumentNullException.ThrowIfNull(initialModel);
        return Train(trainData, validationData, initialModel);
    }

    private AgdImageClassificationTransformer Train(IDataView trainData, IDataView? validationData, AgdModel? initialModel)
    {
        ArgumentNullException.ThrowIfNull(trainData);
        if (_options.KeepBestEpoch && validationData is null)
            throw new ArgumentNullException(nameof(validationData),
                "KeepBestEpoch picks the epoch with the best validation accuracy, so it needs validation data: call Fit(trainData, validationData), or turn KeepBestEpoch off.");
        TorchNative.EnsureLoaded();
        OnnxRuntimeNative.EnsureAvailable();
        CheckHasRows(trainData, "training");
        var (shape, classes) = CheckSchema(trainData.Schema);
        if (validationData is not null)
        {
            CheckHasRows(validationData, "validation");
            CheckSchema(validationData.Schema);
        }
        TrainingMemory.CollectGarbage(); // what the process holds is measured without it
        var size = CheckMemory(shape, classes, trainData.GetRowCount());

        using var train = Open(trainData, shape, size, "training");
        using var validation = validationData is null ? null : Open(validationData, shape, size, "validation");
        TrainingMemory.CollectGarbage(); // what reading the views left; the check below counts the data held
        return Train(trainData, train, validation, shape, classes, initialModel);
    }

    /// <summary>
    /// Trains on rows already read into tensors, so a search reads its data once for all its trials; <paramref name="trainData"/>
    /// only gives the schema the scoring chain is built for.
    /// </summary>
    internal AgdImageClassificationTransformer Train(IDataView trainData, IImageBatches train, IImageBatches? validation, AgdImageShape shape, int classes,
        AgdModel? initialModel)
    {
        CheckSeveralClasses(train);
        var checkedSize = CheckMemory(shape, classes, train.GetRowCount()); // again here: a search's trials come this way
        var device = ResolveDevice(_options.Device);
        var earlier = initialModel?.History ?? [];
        // A continued run draws new batch orders: the same seed would replay the first run's.
        var generator = new Generator((ulong)_options.Seed + (ulong)earlier.Count * ContinuationSeedStride);

        // The network standardizes its input with the training data's statistics (a continued model's are copied below).
        var network = new StandardizedNetwork(_options.CreateNetwork(shape, classes), train.Mean, train.StandardDeviation);
        var size = _options.NetworkFactory is null ? checkedSize : MeasuredSize(network, shape, train.GetRowCount());
        // Before the first step: every parameter in an AGD layer (the optimizer says which cannot be), the network's
        // output one logit per class, and every module exportable, so that a long training never ends unsavable.
        using var agd = new AgdOptimizer(network) { Norm = _options.StepNorm };
        OnnxExport.Check(network, shape, classes);
        if (initialModel is null)
            AgdInitialization.Apply(network, generator);
        else
            CopyWeights(initialModel, network, shape);
        network.to(device);
        var other = _options.OptimizerInsteadOfAgd?.Invoke(network);
        // AGD's step has no schedule to quiet a run's last steps: its runs end with the weights averaged over them. Another
        // optimizer runs as its users run it.
        var loop = new TrainingLoop(network, other ?? agd, _options.Loss, _options.BatchSize, device, generator)
        {
            AverageWeights = other is null,
            Ranks = _options.Communicator,
            LargestBatch = TrainingMemory.LargestBatch(shape, size),
            FirstBatch = earlier.Count > 0 && earlier[^1].BatchSize > 0 ? earlier[^1].BatchSize : TrainingMemory.FirstBatch(shape, size), // a continued run goes on where it ended
        };
        using var best = _options.KeepBestEpoch ? new BestEpoch(network) : null;
        var run = loop.Run(train, validation, earlier.Count, _options.NumberOfEpochs, e =>
        {
            best?.Offer(e);
            _options.Progress?.Report(e);
        }, _options.CancellationToken);
        if (run.History.Count == 0)
        {
            network.Dispose();
            throw new OperationCanceledException("Training was stopped before its first epoch ended, so there is no model to return.", _options.CancellationToken);
        }
        var history = earlier.Concat(run.History).ToList();
        best?.Restore();
        return Fitted(trainData, network, shape, classes, history, best is { Epoch: > 0 } ? best.Epoch : history.Count, run.Cancelled);
    }

    /// <summary>
    /// Rebuilds a model another process trained with these options (a search's best, sent to every rank): the weights
    /// and statistics as <see cref="Search.AgdModelTransfer.Write"/> wrote them, scored with <paramref name="trainData"/>'s schema.
    /// </summary>
    internal AgdImageClassificationTransformer Receive(IDataView trainData, AgdImageShape shape, int classes, Search.AgdModelTransfer.Received sent)
    {
        var network = new StandardizedNetwork(_options.CreateNetwork(shape, classes), Enumerable.Repeat(0.0, shape.Channels).ToList(), Enumerable.Repeat(1.0, shape.Channels).ToList());
        sent.LoadInto(network);
        return Fitted(trainData, network, shape, classes, sent.History, sent.Epoch, sent.Cancelled);
    }

    // A trained network as the transformer that scores with it, on the CPU.
    private AgdImageClassificationTransformer Fitted(IDataView trainData, StandardizedNetwork network, AgdImageShape shape, int classes,
        IReadOnlyList<AgdEpoch> history, int epoch, bool cancelled)
    {
        network.to(CPU).eval();
        var label = trainData.Schema[_columns.Label];
        var model = new AgdModel(network, _options.EffectiveArchitecture, shape, ScoringChain.ClassNames(label, classes), history, epoch, cancelled, _columns.Features);
        var context = new MLContext(_options.Seed);
        return new AgdImageClassificationTransformer(model, ScoringChain.Build(context, model, trainData, label), _columns);
    }

    private void CopyWeights(AgdModel from, nn.Module network, AgdImageShape shape)
    {
        if (from.Architecture != _options.EffectiveArchitecture || from.ImageShape != shape)
            throw new ArgumentException($"The initial model is a {from.Architecture} for {from.ImageShape} images, but the options and data describe a " +
                $"{_options.EffectiveArchitecture} for {shape} images; continue with the options the model was trained with.", "initialModel");
        var source = from.Network.state_dict();
        var target = network.state_dict();
        using var noGrad = no_grad();
        foreach (var (name, tensor) in target)
        {
            if (!source.TryGetValue(name, out var value) || !value.shape.SequenceEqual(tensor.shape))
                throw new ArgumentException($"The initial model's network differs from the options' at '{name}' (shape [{string.Join(", ", tensor.shape)}] expected, " +
                    (value is null ? "absent" : $"[{string.Join(", ", value.shape)}]") + "); continue with the depth, width and base width the model was trained with.", "initialModel");
            tensor.copy_(value);
        }
    }

    /// <summary>The input schema plus <c>Score</c> (a vector of Single) and <c>PredictedLabel</c> (the label's key type).</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        Require(inputSchema, _columns.Features, c => c.Kind == SchemaShape.Column.VectorKind.Vector && c.ItemType == NumberDataViewType.Single, "a known-size vector of Single");
        Require(inputSchema, _columns.Label, c => c.IsKey && c.Kind == SchemaShape.Column.VectorKind.Scalar, "a key type (use MapValueToKey)");
        // Score has the feature column's shape kind and PredictedLabel the label's key type: public estimators say so.
        var context = new MLContext();
        return context.Transforms.Concatenate("Score", _columns.Features)
            .Append(context.Transforms.CopyColumns("PredictedLabel", _columns.Label))
            .GetOutputSchema(inputSchema);
    }

    private (AgdImageShape Shape, int Classes) CheckSchema(DataViewSchema schema)
    {
        var shape = _columns.CheckFeatures(schema, _options.ImageShape, AgdNetworks.IsConvolutional(_options.EffectiveArchitecture));
        return (shape, _columns.CheckLabel(schema));
    }

    private void CheckHasRows(IDataView data, string role)
    {
        bool any = data.GetRowCount() is { } count ? count > 0 : HasARow(data);
        if (!any)
            throw new InvalidOperationException($"The {role} data has no rows with a label in column '{_columns.Label}': it has no rows at all. Give it images of at least two classes.");
    }

    private static bool HasARow(IDataView data)
    {
        using var cursor = data.GetRowCursor([]);
        return cursor.MoveNext();
    }

    // A factory's network, once built: its weights, then its activations on one image beside them.
    private NetworkSize MeasuredSize(nn.Module<Tensor, Tensor> network, AgdImageShape shape, long? rows)
    {
        double parameters = network.parameters().Sum(p => (double)p.numel());
        TrainingMemory.CheckParameters(parameters, "The network NetworkFactory built", "the network");
        var (outputs, unfolds) = ModuleOutputs.PerImage(network, shape);
        var size = new NetworkSize(parameters, outputs, unfolds.DefaultIfEmpty(0).Max());
        _options.CheckBatch(shape, size, rows);
        return size;
    }

    // Before any row is read or any weight made (see Options.CheckMemory).
    private NetworkSize CheckMemory(AgdImageShape shape, int classes, long? rows) => _options.CheckMemory(shape, classes, rows);

    private void CheckSeveralClasses(IImageBatches train)
    {
        var classes = train.Classes;
        if (classes.Length < 2)
            throw new InvalidOperationException(
                $"Every labelled training row has the same class (key {classes[0] + 1} of column '{_columns.Label}'); a classifier needs at least two classes in the training data.");
    }

    // In memory or streamed, as the options say; Auto keeps in memory what the view can count, within the limit and
    // beside what training needs (a network of this size and its first batch).
    private IImageBatches Open(IDataView data, AgdImageShape shape, NetworkSize size, string role)
    {
        bool inMemory = _options.DataLoading switch
        {
            AgdDataLoading.InMemory => true,
            AgdDataLoading.Streaming => false,
            _ => data.GetRowCount() is long rows && (double)rows * shape.Size * sizeof(float) is var bytes && bytes <= _options.InMemoryLimitBytes &&
                TrainingMemory.DataFits(bytes, _options.BatchSize ?? TrainingMemory.FirstBatch(shape, size), shape, size),
        };
        return inMemory ? LabelledImages.Read(data, _columns, shape, role) : StreamedImages.Open(data, _columns, shape, role, _options.Seed);
    }

    private static void Require(SchemaShape schema, string name, Func<SchemaShape.Column, bool> valid, string expected)
    {
        var found = schema.Where(c => c.Name == name).ToList();
        if (found.Count == 0)
            throw new ArgumentOutOfRangeException(nameof(schema), $"The data has no column '{name}'.");
        var column = found[^1];
        if (!valid(column))
            throw new ArgumentOutOfRangeException(nameof(schema), $"Column '{name}' must be {expected}; it is {column.Kind} of {column.ItemType}.");
    }

    private static Device ResolveDevice(AgdDevice device) => device switch
    {
        AgdDevice.Cpu => CPU,
        AgdDevice.Auto => cuda.is_available() ? CUDA : CPU,
        AgdDevice.Cuda when cuda.is_available() => CUDA,
        _ => throw new InvalidOperationException(
            "Device Cuda was requested but no CUDA device is available. The application must reference TorchSharp-cuda-linux " +
            "(build with -p:AgdTorchBackend=cuda) and run on a machine with an NVIDIA GPU; or use AgdDevice.Auto."),
    };
}

using Microsoft.ML.Agd.Models;
using Microsoft.ML.Agd.Training;
using Microsoft.ML.Agd.Samples.Data;
using System.Diagnostics;

namespace Microsoft.ML.Agd.Samples.Jobs;

/// <summary>What <c>agd train</c> trains.</summary>
internal sealed record TrainSettings
{
    private static readonly AgdImageClassificationTrainer.Options Defaults = new();

    /// <summary>IDX folder or image folder; null for the default Fashion-MNIST.</summary>
    public string? Data { get; init; }
    /// <summary>The network family.</summary>
    public AgdArchitecture Architecture { get; init; } = AgdArchitecture.Fcn;
    /// <summary>A network from the samples instead of <see cref="Architecture"/>: "vgg16", or null.</summary>
    public string? Network { get; init; }
    /// <summary>FCN depth.</summary>
    public int Depth { get; init; } = Defaults.Depth;
    /// <summary>FCN width.</summary>
    public int Width { get; init; } = Defaults.Width;
    /// <summary>ResNet base width.</summary>
    public int BaseWidth { get; init; } = Defaults.BaseWidth;
    /// <summary>Epochs.</summary>
    public int Epochs { get; init; } = Defaults.NumberOfEpochs;
    /// <summary>Batch size.</summary>
    public int BatchSize { get; init; } = Defaults.BatchSize;
    /// <summary>The training loss.</summary>
    public AgdLoss Loss { get; init; } = Defaults.Loss;
    /// <summary>Shape images of an image folder are resized to (IDX images keep theirs).</summary>
    public AgdImageShape ImageShape { get; init; } = DataSets.DefaultImageShape;
    /// <summary>Share of an image folder held out for validation and testing.</summary>
    public double TestFraction { get; init; } = DataSets.DefaultTestFraction;
    /// <summary>Seed of the split, the initial weights and the batch order.</summary>
    public int Seed { get; init; }
    /// <summary>Where the outputs go.</summary>
    public string Output { get; init; } = "agd-output";

    /// <summary>Checks every setting before anything is read or trained, with the trainer's own checks and messages.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; the message names it.</exception>
    public void Validate()
    {
        _ = new AgdImageClassificationTrainer(TrainerOptions(null, default));
        if (!(TestFraction > 0 && TestFraction < 1))
            throw new ArgumentOutOfRangeException("--test-fraction", TestFraction, "The test fraction must be between 0 and 1 (exclusive).");
        if (ImageShape.Channels < 1 || ImageShape.Height < 1 || ImageShape.Width < 1)
            throw new ArgumentOutOfRangeException("--image-size", ImageShape.Height, "The image size must be at least 1.");
    }

    /// <summary>The trainer's options for these settings.</summary>
    public AgdImageClassificationTrainer.Options TrainerOptions(IProgress<AgdEpoch>? progress, CancellationToken cancellation) => new()
    {
        Architecture = Architecture, Depth = Depth, Width = Width, BaseWidth = BaseWidth, NumberOfEpochs = Epochs,
        BatchSize = BatchSize, Loss = Loss, Seed = Seed, Progress = progress, CancellationToken = cancellation,
        NetworkFactory = Network?.ToLowerInvariant() switch
        {
            null => null,
            "vgg16" => (shape, classes) => Networks.Vgg.Create(shape, classes, BaseWidth),
            _ => throw new ArgumentOutOfRangeException("--network", Network, "The samples' networks are: vgg16."),
        },
    };
}

/// <summary>What <c>agd train</c> produced.</summary>
internal sealed record TrainResult(ModelFolder Folder, Evaluation Test, IReadOnlyList<AgdEpoch> History, bool Cancelled, double Seconds, string TrainedOn, int TrainImages, int TestImages);

/// <summary>Trains a classifier through an ML.NET pipeline and writes the model, its ONNX export, metrics, curves and a C# snippet.</summary>
internal static class TrainJob
{
    /// <summary>Runs the job: checks the settings and the output folder, trains, then writes the model folder as a whole.</summary>
    /// <exception cref="OperationCanceledException">Cancelled before the first epoch ended: no model was written, and an earlier one is untouched.</exception>
    public static TrainResult Run(TrainSettings settings, IProgress<AgdEpoch>? progress = null, CancellationToken cancellation = default)
    {
        settings.Validate();
        var folder = new ModelFolder(settings.Output);
        folder.CheckWritable();
        var (train, test) = DataSets.Load(settings.Data, settings.ImageShape, settings.TestFraction, settings.Seed);
        var ml = new MLContext(settings.Seed);
        var keys = train.LabelKeys(ml);
        var clock = Stopwatch.StartNew();
        var trainer = ml.MulticlassClassification.Trainers.Agd(settings.TrainerOptions(progress, cancellation));
        using var agd = trainer.Fit(keys.Transform(train.ToDataView(ml)), keys.Transform(test.ToDataView(ml)));
        double seconds = clock.Elapsed.TotalSeconds;
        // An untrained network is not a model anyone wants, and must never replace one.
        if (agd.Model.History.Count == 0)
            throw new OperationCanceledException($"Stopped before the first epoch ended: no model was written{(Directory.Exists(folder.Path) ? $"; '{folder.Path}' still holds the earlier one" : "")}.");
        var evaluation = Evaluation.Of(ml, agd, test);
        folder.WriteWhole(staging =>
        {
            staging.WriteModel(ml, agd, train);
            ModelFolder.WriteJson(staging.Metrics, new { evaluation.Accuracy, evaluation.MacroAccuracy, evaluation.LogLoss, evaluation.PerClass, TrainSeconds = seconds, History = agd.Model.History });
            Charts.Charts.TrainingCurves(agd.Model.History, $"AGD {settings.Network ?? settings.Architecture.ToString()}", staging.Curves);
        });
        return new TrainResult(folder, evaluation, agd.Model.History, agd.Model.Cancelled, seconds, train.Description, train.Rows.Count, test.Rows.Count);
    }
}

using System.Diagnostics;
using Microsoft.ML.Agd.Samples.Data;
using Microsoft.ML.Data;

namespace Microsoft.ML.Agd.Samples.Jobs;

/// <summary>What <c>agd train</c> trains.</summary>
public sealed record TrainSettings
{
    private static readonly AgdImageClassificationTrainer.Options Defaults = new();

    /// <summary>IDX folder or image folder; null for the default Fashion-MNIST.</summary>
    public string? Data { get; init; }
    /// <summary>The network family.</summary>
    public AgdArchitecture Architecture { get; init; } = AgdArchitecture.Fcn;
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
    public AgdImageShape ImageShape { get; init; } = new(3, 32, 32);
    /// <summary>Share of an image folder held out for validation and testing.</summary>
    public double TestFraction { get; init; } = 0.2;
    /// <summary>Seed of the split, the initial weights and the batch order.</summary>
    public int Seed { get; init; }
    /// <summary>Where the outputs go.</summary>
    public string Output { get; init; } = "agd-output";

    /// <summary>The trainer's options for these settings.</summary>
    public AgdImageClassificationTrainer.Options TrainerOptions(IProgress<AgdEpoch>? progress, CancellationToken cancellation) => new()
    {
        Architecture = Architecture, Depth = Depth, Width = Width, BaseWidth = BaseWidth, NumberOfEpochs = Epochs,
        BatchSize = BatchSize, Loss = Loss, Seed = Seed, Progress = progress, CancellationToken = cancellation,
    };
}

/// <summary>What <c>agd train</c> produced.</summary>
public sealed record TrainResult(ModelFolder Folder, Evaluation Test, IReadOnlyList<AgdEpoch> History, bool Cancelled, double Seconds, string TrainedOn, int TrainImages, int TestImages);

/// <summary>Trains a classifier through an ML.NET pipeline and writes the model, its ONNX export, metrics, curves and a C# snippet.</summary>
public static class TrainJob
{
    /// <summary>Runs the job.</summary>
    public static TrainResult Run(TrainSettings settings, IProgress<AgdEpoch>? progress = null, CancellationToken cancellation = default)
    {
        var (train, test) = DataSets.Load(settings.Data, settings.ImageShape, settings.TestFraction, settings.Seed);
        var ml = new MLContext(settings.Seed);
        var keys = train.LabelKeys(ml);
        var clock = Stopwatch.StartNew();
        var trainer = ml.MulticlassClassification.Trainers.Agd(settings.TrainerOptions(progress, cancellation));
        var agd = trainer.Fit(keys.Transform(train.ToDataView(ml)), keys.Transform(test.ToDataView(ml)));
        double seconds = clock.Elapsed.TotalSeconds;
        var folder = new ModelFolder(settings.Output);
        folder.Write(ml, agd, train);
        var evaluation = Evaluation.Of(ml, agd, test);
        ModelFolder.WriteJson(folder.Metrics, new { evaluation.Accuracy, evaluation.MacroAccuracy, evaluation.MicroAccuracy, evaluation.LogLoss, evaluation.PerClass, TrainSeconds = seconds, History = agd.Model.History });
        if (agd.Model.History.Count > 0)
            Charts.Charts.TrainingCurves(agd.Model.History, $"AGD {settings.Architecture}", folder.Curves);
        return new TrainResult(folder, evaluation, agd.Model.History, agd.Model.Cancelled, seconds, train.Description, train.Rows.Count, test.Rows.Count);
    }
}

using Microsoft.ML.Agd.Samples.Charts;
using Microsoft.ML.Agd.Samples.Data;
using Microsoft.ML.Agd.Training;
using System.Diagnostics;

namespace Microsoft.ML.Agd.Samples.Jobs;

/// <summary>What <c>agd train</c> trains, on what, and where it writes the model.</summary>
internal sealed record TrainSettings
{
    /// <summary>The data.</summary>
    public DataSettings Data { get; init; } = new();

    /// <summary>The trainer's options, as the command line set them: the library's defaults for the rest.</summary>
    public AgdImageClassificationTrainer.Options Trainer { get; init; } = new();

    /// <summary>The samples' network (--network) whose factory <see cref="Trainer"/> holds, or null for its architecture.</summary>
    public string? Network { get; init; }

    /// <summary>Where the model folder goes.</summary>
    public string Output { get; init; } = "agd-output";

    /// <summary>The run this one replays (<c>agd train --config</c>), whose data it must find unchanged; null for a new run.</summary>
    public RunConfiguration? Replaying { get; init; }

    /// <summary>The network's name in messages and charts.</summary>
    public string NetworkName => Network ?? Trainer.Architecture.ToString();
}

/// <summary>What <c>agd train</c> produced.</summary>
internal sealed record TrainResult(ModelFolder Folder, Evaluation Test, IReadOnlyList<AgdEpoch> History, bool Cancelled, double Seconds, string TrainedOn, int TrainImages, int TestImages);

/// <summary>Trains a classifier through an ML.NET pipeline and writes the model, its ONNX export, metrics, curves, the run's configuration and a C# snippet.</summary>
internal static class TrainJob
{
    /// <summary>Runs the job: checks the settings and the output folder, trains, then writes the model folder as a whole.</summary>
    /// <exception cref="OperationCanceledException">Cancelled before the first epoch ended: no model was written, and an earlier one is untouched.</exception>
    /// <param name="settings">What to train; its trainer options get <paramref name="progress"/> and <paramref name="cancellation"/>.</param>
    /// <param name="progress">Hears of each epoch.</param>
    /// <param name="cancellation">Stops training after the current batch, undoing the epoch it was in.</param>
    public static TrainResult Run(TrainSettings settings, IProgress<AgdEpoch>? progress = null, CancellationToken cancellation = default)
    {
        settings.Data.Validate();
        // A replay of a stopped run stops where it did.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        if (settings.Replaying?.StoppedAfterEpoch is { } last && progress is var told)
            progress = new Cli.SynchronousProgress<AgdEpoch>(e =>
            {
                told?.Report(e);
                if (e.Epoch == last)
                    stop.Cancel();
            });
        (settings.Trainer.Progress, settings.Trainer.CancellationToken, settings.Trainer.Communicator) = (progress, stop.Token, Cli.JobRanks.Current);
        var ml = new MLContext(settings.Trainer.Seed);
        var trainer = ml.MulticlassClassification.Trainers.Agd(settings.Trainer); // checks every option before anything is read
        var folder = new ModelFolder(settings.Output);
        var (train, test, fingerprint) = Cli.JobRanks.Together(() =>
        {
            if (Cli.JobRanks.IsFirst) // the job's other ranks train with it and write nothing
                folder.CheckWritable();
            var (read, held) = settings.Data.Load();
            settings.Trainer.CheckMemory(read.Shape, read.ClassNames.Count, read.Rows.Count); // before the fingerprint decodes every row
            return (read, held, RunConfiguration.Fingerprint(read, held));
        });
        Cli.JobRanks.AgreeOnRun(fingerprint, RunConfiguration.Of(settings, settings.Data.Folder ?? DataSets.DefaultFolder, fingerprint));
        if (settings.Replaying is { } replayed && replayed.DataFingerprint != fingerprint)
            throw new InvalidDataException($"The data in '{replayed.Data}' is not the data the replayed run trained on (its rows' SHA-256 is {fingerprint}, the run's {replayed.DataFingerprint}): " +
                "a file was added, removed or changed since, or the run configuration's ImageShape (the size an image folder's images are read at) was edited. " +
                "Replay an unedited run configuration on the same data, or train anew with options.");
        var keys = train.LabelKeys(ml);
        var clock = Stopwatch.StartNew();
        using var agd = Stopped.NothingWritten(folder.Path, "Stopped before the first epoch ended", "model",
            () => trainer.Fit(keys.Transform(train.ToDataView(ml)), keys.Transform(test.ToDataView(ml))));
        double seconds = clock.Elapsed.TotalSeconds;
        var evaluation = Evaluation.Of(ml, agd, test);
        if (Cli.JobRanks.IsFirst) // the job's other ranks trained with it and write nothing
            Write(folder, settings, ml, agd, train, test, evaluation, fingerprint, seconds);
        return new TrainResult(folder, evaluation, agd.Model.History, agd.Model.Cancelled, seconds, train.Description, train.Rows.Count, test.Rows.Count);
    }

    // The model folder, whole: model, run configuration, training project, metrics, curves and report.
    private static void Write(ModelFolder folder, TrainSettings settings, MLContext ml, AgdImageClassificationTransformer agd, LabelledImageSet train, LabelledImageSet test,
        Evaluation evaluation, string fingerprint, double seconds) => folder.WriteWhole(staging =>
        {
            staging.WriteModel(ml, agd, train);
            var run = RunConfiguration.Of(settings, settings.Data.Folder ?? DataSets.DefaultFolder, fingerprint, agd.Model.Cancelled ? agd.Model.History[^1].Epoch : null);
            run.Write(staging.Run);
            TrainingProject.Write(staging.TrainProject, run, train.ClassNames);
            ModelFolder.WriteJson(staging.Metrics, new { evaluation.Accuracy, evaluation.MacroAccuracy, evaluation.LogLoss, evaluation.PerClass, TrainSeconds = seconds, History = agd.Model.History });
            byte[] curves = Plots.TrainingCurves(agd.Model.History, $"AGD {settings.NetworkName}");
            File.WriteAllBytes(staging.Curves, curves);
            var report = new ModelReport.Content($"AGD {settings.NetworkName} on {train.Description}",
                [("test accuracy", $"{evaluation.Accuracy:P2}"), ("macro accuracy", $"{evaluation.MacroAccuracy:P2}"), ("log-loss", $"{evaluation.LogLoss:F4}"),
                 ("trained on", $"{train.Rows.Count} images, {agd.Model.History.Count} epochs, {seconds:F1} s"), ("tested on", $"{test.Rows.Count} images ({test.Description})")],
                curves, File.ReadAllText(staging.Layers), File.ReadAllText(staging.Run));
            File.WriteAllText(staging.Report, ModelReport.Html(report, evaluation));
        });
}

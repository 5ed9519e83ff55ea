using Microsoft.ML.Agd.Samples.Data;
using Microsoft.ML.Agd.Samples.Networks;
using System.Security.Cryptography;

namespace Microsoft.ML.Agd.Samples.Jobs;

/// <summary>
/// Everything <c>agd train</c> made a model from, written as the model folder's run.json: the data (where, and a
/// fingerprint of every row as the model read it), the network and every trainer option (defaults spelled out, so a
/// later default does not change a replay), and what ran it (versions, instruction set). <c>agd train --config
/// run.json</c> replays it; on the same machine the replay's model.onnx is the original's byte for byte.
/// </summary>
internal sealed record RunConfiguration
{
    /// <summary>The file's format.</summary>
    public required int Format { get; init; }

    /// <summary>The data folder, in full.</summary>
    public required string Data { get; init; }
    /// <summary>SHA-256 over every training and test row (class name and pixels) as the model read them.</summary>
    public required string DataFingerprint { get; init; }
    /// <summary>An image folder's decoded size and channels.</summary>
    public required AgdImageShape ImageShape { get; init; }
    /// <summary>An image folder's held-out share.</summary>
    public required double TestFraction { get; init; }
    /// <summary>The samples' network (vgg16), or null for <see cref="Architecture"/>.</summary>
    public required string? Network { get; init; }
    /// <summary>The trainer's options.</summary>
    public required AgdArchitecture Architecture { get; init; }
    /// <inheritdoc cref="AgdImageClassificationTrainer.Options.Depth"/>
    public required int Depth { get; init; }
    /// <inheritdoc cref="AgdImageClassificationTrainer.Options.Width"/>
    public required int Width { get; init; }
    /// <inheritdoc cref="AgdImageClassificationTrainer.Options.BaseWidth"/>
    public required int BaseWidth { get; init; }
    /// <inheritdoc cref="AgdImageClassificationTrainer.Options.NumberOfEpochs"/>
    public required int NumberOfEpochs { get; init; }
    /// <inheritdoc cref="AgdImageClassificationTrainer.Options.BatchSize"/>
    public required int? BatchSize { get; init; }
    /// <inheritdoc cref="AgdImageClassificationTrainer.Options.Loss"/>
    public required AgdLoss Loss { get; init; }
    /// <inheritdoc cref="AgdImageClassificationTrainer.Options.StepNorm"/>
    public required AgdStepNorm StepNorm { get; init; }
    /// <inheritdoc cref="AgdImageClassificationTrainer.Options.KeepBestEpoch"/>
    public required bool KeepBestEpoch { get; init; }
    /// <inheritdoc cref="AgdImageClassificationTrainer.Options.Device"/>
    public required AgdDevice Device { get; init; }
    /// <inheritdoc cref="AgdImageClassificationTrainer.Options.DataLoading"/>
    public required AgdDataLoading DataLoading { get; init; }
    /// <inheritdoc cref="AgdImageClassificationTrainer.Options.InMemoryLimitBytes"/>
    public required long InMemoryLimitBytes { get; init; }
    /// <summary>The seed of the split, the weights and the batch order.</summary>
    public required int Seed { get; init; }
    /// <summary>
    /// The epoch after which the run was stopped (Ctrl+C or SIGTERM), whose model it kept; null for a run that trained
    /// every epoch. A replay stops after it too: the same epochs toward the same length give the same model.
    /// </summary>
    public int? StoppedAfterEpoch { get; init; }
    /// <summary>What ran it: this library's, TorchSharp's, libtorch's, ML.NET's and .NET's versions, and the CPU.</summary>
    public required RunFile.Provenance Ran { get; init; }

    /// <summary>The configuration of a run of <paramref name="settings"/> on data read from <paramref name="folder"/>.</summary>
    public static RunConfiguration Of(TrainSettings settings, string folder, string dataFingerprint, int? stoppedAfterEpoch = null)
    {
        var t = settings.Trainer;
        return new()
        {
            Format = RunFile.CurrentFormat, Data = Path.GetFullPath(folder), DataFingerprint = dataFingerprint, ImageShape = settings.Data.ImageShape,
            TestFraction = settings.Data.TestFraction, Network = settings.Network, Architecture = t.Architecture, Depth = t.Depth, Width = t.Width,
            BaseWidth = t.BaseWidth, NumberOfEpochs = t.NumberOfEpochs, BatchSize = t.BatchSize, Loss = t.Loss, StepNorm = t.StepNorm,
            KeepBestEpoch = t.KeepBestEpoch, Device = t.Device, DataLoading = t.DataLoading, InMemoryLimitBytes = t.InMemoryLimitBytes, Seed = t.Seed,
            StoppedAfterEpoch = stoppedAfterEpoch, Ran = RunFile.Provenance.Current,
        };
    }

    /// <summary>The settings that replay this run into <paramref name="output"/>.</summary>
    public TrainSettings ToSettings(string output) => new()
    {
        Data = new DataSettings { Folder = Data, ImageShape = ImageShape, TestFraction = TestFraction, Seed = Seed },
        Network = Network,
        Output = output,
        Replaying = this,
        Trainer = new()
        {
            Architecture = Architecture, Depth = Depth, Width = Width, BaseWidth = BaseWidth, NumberOfEpochs = NumberOfEpochs, BatchSize = BatchSize,
            Loss = Loss, StepNorm = StepNorm, KeepBestEpoch = KeepBestEpoch, Device = Device, DataLoading = DataLoading,
            InMemoryLimitBytes = InMemoryLimitBytes, Seed = Seed, NetworkFactory = Network is null ? null : SampleNetworks.Factory(Network, BaseWidth),
        },
    };

    /// <summary>Writes the configuration as indented JSON.</summary>
    public void Write(string path) => ModelFolder.WriteJson(path, this);

    /// <summary>Reads a configuration that <see cref="Write"/> wrote (<see cref="RunFile.Read"/>).</summary>
    public static RunConfiguration Read(string path) => RunFile.Read<RunConfiguration>(path, "agd train");

    /// <summary>SHA-256 over every row's class name and pixels, training rows first: what the model was trained and tested on.</summary>
    public static string Fingerprint(LabelledImageSet train, LabelledImageSet test)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var set in new[] { train, test })
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes($"{set.Shape}|{string.Join("\n", set.ClassNames)}|{set.Rows.Count}"));
            foreach (var row in set.Rows)
            {
                hash.AppendData(System.Text.Encoding.UTF8.GetBytes(row.Label + "\n"));
                hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(row.Features.AsSpan()));
            }
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}

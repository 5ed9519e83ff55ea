using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;

using Microsoft.ML.Agd.Samples.Networks;

namespace Microsoft.ML.Agd.Samples.Jobs;

/// <summary>
/// The console project 'agd train' writes beside every model (as Model Builder writes its
/// training code): Train.csproj with the packages the README names, and a Program.cs with the same ML.NET pipeline and
/// every trainer option spelled out, which reads a folder of the run's kind as agd does and writes a model folder that agd
/// reads (model.zip, model.onnx, model.json, layers.txt, metrics.json). On the run's own data it trains the same model (<c>dotnet run -- data-folder output-folder</c>).
/// </summary>
internal static partial class TrainingProject
{
    /// <summary>Writes Train.csproj and Program.cs into <paramref name="folder"/>, which sits in the model folder.</summary>
    public static void Write(string folder, RunConfiguration run, IReadOnlyList<string> classNames)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "Train.csproj"), Project(images: !IsIdx(run) && !IsCifar(run)));
        var network = run.Network is { } name ? SampleNetworks.Code(name, run.BaseWidth) : default((string File, string Source, string Factory)?);
        File.WriteAllText(Path.Combine(folder, "Program.cs"), Program(run, classNames, network));
        if (network is { } code)
            File.WriteAllText(Path.Combine(folder, code.File), code.Source);
    }

    private static string Metadata(string key) => typeof(TrainingProject).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    // libtorch's own package on Linux x64 (TorchSharp-cpu is over NuGet's size limit there); TorchSharp-cpu elsewhere.
    private static string TorchPackage() => RuntimeInformation.IsOSPlatform(OSPlatform.Linux) && RuntimeInformation.ProcessArchitecture == Architecture.X64
        ? $"""<PackageReference Include="libtorch-cpu-linux-x64" Version="{Metadata("LibTorchVersion")}" />"""
        : $"""<PackageReference Include="TorchSharp-cpu" Version="{typeof(TorchSharp.torch).Assembly.GetName().Version!.ToString(3)}" />""";

    private static string Project(bool images) => $"""
        <Project Sdk="Microsoft.NET.Sdk">
          <!-- Trains the model 'agd train' trained, with the same pipeline and options; Program.cs says how to run it. -->
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>net10.0</TargetFramework>
            <Nullable>enable</Nullable>
            <ImplicitUsings>enable</ImplicitUsings>
            <!-- The library's version; a build may name another: dotnet build -p:AgdVersion=... -->
            <AgdVersion Condition="'$(AgdVersion)' == ''">{RunFile.Provenance.Current.Agd}</AgdVersion>
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="Microsoft.ML.Agd" Version="$(AgdVersion)" />
            <!-- The native backends: libtorch trains, ONNX Runtime scores. -->
            {TorchPackage()}
            <PackageReference Include="Microsoft.ML.OnnxRuntime" Version="{Metadata("OnnxRuntimeVersion")}" />{(images ? $"""

            <!-- Decodes the image files. -->
            <PackageReference Include="SkiaSharp" Version="{Metadata("SkiaSharpVersion")}" />
            <PackageReference Include="SkiaSharp.NativeAssets.Linux.NoDependencies" Version="{Metadata("SkiaSharpVersion")}" />
    """ : "")}
          </ItemGroup>
        </Project>

        """;

    // A stopped run's project stops where the run did (run.json's StoppedAfterEpoch), so that its model is the run's.
    private static string StopOptions(RunConfiguration run) => run.StoppedAfterEpoch is { } stopped
        ? $"\n        // The run was stopped after epoch {stopped}: this one stops there too, so that its model is the run's.\n        Progress = new StopAfter({stopped}, stop), CancellationToken = stop.Token,"
        : "";

    private const string StopAfterClass = """


        /// <summary>Stops training once an epoch has ended, as the run was stopped.</summary>
        public sealed class StopAfter(int epoch, CancellationTokenSource stop) : IProgress<AgdEpoch>
        {
            public void Report(AgdEpoch value)
            {
                if (value.Epoch == epoch)
                    stop.Cancel();
            }
        }
        """;

    private static string Literal(string text) => "@\"" + text.Replace("\"", "\"\"") + "\"";

    private static string Program(RunConfiguration run, IReadOnlyList<string> classNames, (string File, string Source, string Factory)? network) => $$"""
        // Trains the model that 'agd train' trained, through the same ML.NET pipeline with the same options:
        //   dotnet run -c Release -- [data folder] [output folder]
        // The data folder holds {{Reader(run).Holds}};
        // by default the run's own. The output folder (default: model) gets model.zip, model.onnx, model.json, layers.txt and
        // metrics.json, a model folder agd reads. On the run's data this trains the same model, as run.json records it.
        {{(IsIdx(run) ? "using System.Buffers.Binary;\nusing System.IO.Compression;" : IsCifar(run) ? "" : "using SkiaSharp;")}}
        using System.Text.Json;
        using Microsoft.ML;
        using Microsoft.ML.Agd;
        using Microsoft.ML.Agd.Optim;
        using Microsoft.ML.Agd.Training;
        using Microsoft.ML.Data;{{(network is null ? "" : "\nusing Microsoft.ML.Agd.Samples.Networks;")}}

        try
        {
            return Train(args);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or InvalidOperationException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }

        static int Train(string[] args)
        {
            string data = args.Length > 0 ? args[0] : {{Literal(run.Data)}};
            string output = args.Length > 1 ? args[1] : "model";
            string[] classes = [{{string.Join(", ", classNames.Select(Literal))}}];

            var ml = new MLContext(seed: {{run.Seed}});
            var (train, test) = Data.Load(ml, data, classes);
            var names = ml.Data.LoadFromEnumerable(classes.Select(c => new Image { Label = c }));
            var keys = ml.Transforms.Conversion.MapValueToKey("Label", keyData: ml.Transforms.SelectColumns("Label").Fit(names).Transform(names)).Fit(train);{{(run.StoppedAfterEpoch is null ? "" : "\n    using var stop = new CancellationTokenSource();")}}
            var trainer = ml.MulticlassClassification.Trainers.Agd(new AgdImageClassificationTrainer.Options
            {
                Architecture = AgdArchitecture.{{run.Architecture}},
                Depth = {{run.Depth}},
                Width = {{run.Width}},
                BaseWidth = {{run.BaseWidth}},
                NumberOfEpochs = {{run.NumberOfEpochs}},
                BatchSize = {{(run.BatchSize is { } b ? b.ToString(CultureInfo.InvariantCulture) : "null")}}, // null: the automatic batch
                Loss = AgdLoss.{{run.Loss}},
                StepNorm = AgdStepNorm.{{run.StepNorm}},
                KeepBestEpoch = {{(run.KeepBestEpoch ? "true" : "false")}},
                Device = AgdDevice.{{run.Device}},
                DataLoading = AgdDataLoading.{{run.DataLoading}},
                InMemoryLimitBytes = {{run.InMemoryLimitBytes}},
                Seed = {{run.Seed}},{{(network is { } code ? $"\n                NetworkFactory = (shape, classes) => {code.Factory}, // {code.File}, the network the run used" : "")}}{{StopOptions(run)}}
            });
            var agd = trainer.Fit(keys.Transform(train), keys.Transform(test)); // the test images are the validation set, as agd train's
            var metrics = ml.MulticlassClassification.Evaluate(agd.Transform(keys.Transform(test)));
            Console.WriteLine($"Test accuracy: {metrics.MicroAccuracy:P2} (macro {metrics.MacroAccuracy:P2}, log-loss {metrics.LogLoss:F4}) on {test.GetRowCount()} images.");

            Directory.CreateDirectory(output);
            var model = new TransformerChain<ITransformer>(agd, ml.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(agd.Transform(keys.Transform(train))));
            ml.Model.Save(model, train.Schema, Path.Combine(output, "model.zip"));
            agd.Model.ExportOnnx(Path.Combine(output, "model.onnx"));
            var json = new JsonSerializerOptions { WriteIndented = true };
            File.WriteAllText(Path.Combine(output, "metrics.json"), JsonSerializer.Serialize(new { Accuracy = metrics.MicroAccuracy, MacroAccuracy = metrics.MacroAccuracy, metrics.LogLoss, History = agd.Model.History }, json));
            // model.json and layers.txt as agd train writes them, so that agd evaluate and agd predict read this folder too.
            string Sha256(string file) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(output, file))));
            var shape = agd.Model.ImageShape;
            File.WriteAllText(Path.Combine(output, "model.json"), JsonSerializer.Serialize(new
            {
                Architecture = agd.Model.Architecture.ToString(), shape.Channels, shape.Height, shape.Width, agd.Model.ClassNames, TrainedOn = Path.GetFullPath(data),
                agd.Model.InputMean, agd.Model.InputStandardDeviation, Sha256 = new Dictionary<string, string> { ["model.zip"] = Sha256("model.zip"), ["model.onnx"] = Sha256("model.onnx") },
            }, json));
            File.WriteAllText(Path.Combine(output, "layers.txt"), agd.Model.Plan.Describe() + Environment.NewLine);
            Console.WriteLine($"Wrote model.zip, model.onnx, model.json, layers.txt and metrics.json to {Path.GetFullPath(output)}; agd evaluate and agd predict read it.");
            return 0;
        }{{(run.StoppedAfterEpoch is null ? "" : StopAfterClass)}}

        /// <summary>A labelled image: pixels in [0, 1], and its class name.</summary>
        public sealed class Image
        {
            public float[] Features { get; set; } = [];
            public string Label { get; set; } = "";
        }

        {{Reader(run).Code}}
        """;
}

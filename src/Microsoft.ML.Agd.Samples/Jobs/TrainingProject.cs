using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;

using Microsoft.ML.Agd.Samples.Data;
using Microsoft.ML.Agd.Samples.Networks;

namespace Microsoft.ML.Agd.Samples.Jobs;

/// <summary>
/// The console project 'agd train' writes beside every model (as Model Builder writes its
/// training code): Train.csproj with the packages the README names, and a Program.cs with the same ML.NET pipeline and
/// every trainer option spelled out, which reads a folder of the run's kind as agd does and writes model.zip, model.onnx
/// and metrics.json. On the run's own data it trains the same model (<c>dotnet run -- data-folder output-folder</c>).
/// </summary>
internal static class TrainingProject
{
    private static bool IsIdx(RunConfiguration run) => DataSets.IsIdxFolder(run.Data);

    private static bool IsCifar(RunConfiguration run) => CifarReader.IsCifarFolder(run.Data);

    // The reader of the run's kind of data, as generated code, and what the data folder must hold.
    private static (string Code, string Holds) Reader(RunConfiguration run)
        => IsIdx(run) ? (IdxReader, "train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (each may be .gz)")
         : IsCifar(run) ? (CifarBinaryReader, "CIFAR-10's data_batch_1.bin to data_batch_5.bin and test_batch.bin, or CIFAR-100's train.bin and test.bin")
         : (ImageFolderReader(run), "one sub-folder of images per class (or train/ and val/ folders of them)");

    /// <summary>Writes Train.csproj and Program.cs into <paramref name="folder"/>, which sits in the model folder.</summary>
    public static void Write(string folder, RunConfiguration run, IReadOnlyList<string> classNames)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "Train.csproj"), Project(images: !IsIdx(run) && !IsCifar(run)));
        File.WriteAllText(Path.Combine(folder, "Program.cs"), Program(run, classNames));
        if (run.Network is { } network)
        {
            var (file, source, _) = SampleNetworks.Code(network, run.BaseWidth);
            File.WriteAllText(Path.Combine(folder, file), source);
        }
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

    // The IDX reader: the run's files, as agd reads them.
    private const string IdxReader = """
        /// <summary>Reads IDX images and labels (MNIST's format, gzip-compressed or not): train-* trains, t10k-* tests.</summary>
        public static class Data
        {
            public static (IDataView Train, IDataView Test) Load(MLContext ml, string folder, string[] classes) => (Read(ml, folder, "train", classes), Read(ml, folder, "t10k", classes));

            public static IDataView Read(MLContext ml, string folder, string prefix, string[] classes)
            {
                var images = Bytes(folder, $"{prefix}-images-idx3-ubyte", 0x803);
                var labels = Bytes(folder, $"{prefix}-labels-idx1-ubyte", 0x801);
                int count = Int(images, 4), height = Int(images, 8), width = Int(images, 12);
                if (Int(labels, 4) != count || images.Length < 16L + (long)count * height * width || labels.Length < 8L + count)
                    throw new InvalidDataException($"The {prefix} IDX files in '{folder}' are truncated or do not agree on the number of images.");
                var rows = new List<Image>(count);
                for (int i = 0; i < count; i++)
                {
                    int label = labels[8 + i];
                    if (label >= classes.Length)
                        throw new InvalidDataException($"The {prefix} labels in '{folder}' have label {label} at index {i}; the model has {classes.Length} classes.");
                    rows.Add(new Image { Features = Array.ConvertAll(images.AsSpan(16 + i * height * width, height * width).ToArray(), p => p / 255f), Label = classes[label] });
                }
                var schema = SchemaDefinition.Create(typeof(Image));
                schema[nameof(Image.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 1, height, width);
                return ml.Data.LoadFromEnumerable(rows, schema);
            }

            private static byte[] Bytes(string folder, string name, int magic)
            {
                string path = File.Exists(Path.Combine(folder, name)) ? Path.Combine(folder, name) : Path.Combine(folder, name + ".gz");
                if (!File.Exists(path))
                    throw new FileNotFoundException($"'{folder}' has no {name} (or {name}.gz) file.");
                using var file = File.OpenRead(path);
                using Stream stream = path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : file;
                using var memory = new MemoryStream();
                stream.CopyTo(memory);
                var bytes = memory.ToArray();
                if (bytes.Length < (magic == 0x803 ? 16 : 8) || Int(bytes, 0) != magic)
                    throw new InvalidDataException($"'{path}' is not an IDX file of {(magic == 0x803 ? "images" : "labels")}.");
                return bytes;
            }

            private static int Int(byte[] bytes, int offset) => BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(offset, 4));
        }
        """;

    // The CIFAR reader: the binary batches as their archives unpack, read as agd reads them (the class names from the
    // run, the label the last label byte: CIFAR-100's fine label).
    private const string CifarBinaryReader = """
        /// <summary>Reads CIFAR-10's or CIFAR-100's binary batches: records of label bytes, then 32x32 red, green and blue planes.</summary>
        public static class Data
        {
            public static (IDataView Train, IDataView Test) Load(MLContext ml, string folder, string[] classes)
            {
                var batches = Enumerable.Range(1, 5).Select(i => $"data_batch_{i}.bin").ToArray();
                bool ten = batches.Any(f => File.Exists(Path.Combine(folder, f)));
                return ten ? (Read(ml, folder, batches, 1, classes), Read(ml, folder, ["test_batch.bin"], 1, classes))
                           : (Read(ml, folder, ["train.bin"], 2, classes), Read(ml, folder, ["test.bin"], 2, classes));
            }

            private static IDataView Read(MLContext ml, string folder, string[] files, int labelBytes, string[] classes)
            {
                int recordLength = labelBytes + 3 * 32 * 32;
                var rows = new List<Image>();
                foreach (string name in files)
                {
                    string file = Path.Combine(folder, name);
                    if (!File.Exists(file))
                        throw new FileNotFoundException($"'{folder}' has no {name}: unpack the whole CIFAR binary archive into it.");
                    byte[] bytes = File.ReadAllBytes(file);
                    if (bytes.Length % recordLength != 0)
                        throw new InvalidDataException($"'{file}' is truncated: it is not whole records of {recordLength} bytes.");
                    for (int start = 0; start < bytes.Length; start += recordLength)
                    {
                        int label = bytes[start + labelBytes - 1];
                        if (label >= classes.Length)
                            throw new InvalidDataException($"'{file}' has label {label}; the model has {classes.Length} classes.");
                        rows.Add(new Image { Features = Array.ConvertAll(bytes[(start + labelBytes)..(start + recordLength)], b => b / 255f), Label = classes[label] });
                    }
                }
                var schema = SchemaDefinition.Create(typeof(Image));
                schema[nameof(Image.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 3, 32, 32);
                return ml.Data.LoadFromEnumerable(rows, schema);
            }
        }
        """;

    // The image-folder reader: the run's files, listed, split and decoded as agd does it.
    private static string ImageFolderReader(RunConfiguration run) => $$"""
        /// <summary>Reads an image folder as agd train does: class folders in name order; train/ and val/ where the folder has them, else a seeded split of every class.</summary>
        public static class Data
        {
            private static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"];

            public static (IDataView Train, IDataView Test) Load(MLContext ml, string folder, string[] classes)
            {
                if (Directory.Exists(Path.Combine(folder, "train")) && Directory.Exists(Path.Combine(folder, "val")))
                    return (View(ml, Read(Path.Combine(folder, "train"), classes)), View(ml, Read(Path.Combine(folder, "val"), classes)));
                var random = new Random({{run.Seed}});
                var (train, test) = (new List<Image>(), new List<Image>());
                foreach (var group in Read(folder, classes).GroupBy(r => r.Label))
                {
                    var shuffled = group.OrderBy(_ => random.Next()).ToList();
                    int held = shuffled.Count < 2 ? 0 : Math.Max(1, (int)Math.Round(shuffled.Count * {{run.TestFraction.ToString("R", CultureInfo.InvariantCulture)}}));
                    test.AddRange(shuffled.Take(held));
                    train.AddRange(shuffled.Skip(held));
                }
                return (View(ml, train.OrderBy(_ => random.Next()).ToList()), View(ml, test));
            }

            private static List<Image> Read(string folder, string[] classes)
            {
                if (!Directory.Exists(folder))
                    throw new DirectoryNotFoundException($"Data folder '{folder}' does not exist.");
                var rows = new List<Image>();
                foreach (string classFolder in Entries(Directory.GetDirectories(folder)))
                {
                    string label = Path.GetFileName(classFolder);
                    if (!classes.Contains(label))
                        throw new InvalidDataException($"'{classFolder}' is a class the model does not have; it has {string.Join(", ", classes)}.");
                    foreach (string file in Entries(Directory.GetFiles(classFolder)).Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant())))
                        rows.Add(new Image { Features = Pixels(file) ?? throw new InvalidDataException($"Image '{file}' could not be decoded whole."), Label = label });
                }
                return rows;
            }

            // Name order, without what tools leave (hidden entries, macOS's __MACOSX).
            private static IEnumerable<string> Entries(IEnumerable<string> paths)
                => paths.Order(StringComparer.Ordinal).Where(p => !Path.GetFileName(p).StartsWith('.') && Path.GetFileName(p) != "__MACOSX");

            private static IDataView View(MLContext ml, List<Image> rows)
            {
                var schema = SchemaDefinition.Create(typeof(Image));
                schema[nameof(Image.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, {{run.ImageShape.Channels}}, {{run.ImageShape.Height}}, {{run.ImageShape.Width}});
                return ml.Data.LoadFromEnumerable(rows, schema);
            }

            {{ConsumptionProject.PixelsFunction(run.ImageShape)}}
        }
        """;

    private static string Literal(string text) => "@\"" + text.Replace("\"", "\"\"") + "\"";

    private static string Program(RunConfiguration run, IReadOnlyList<string> classNames) => $$"""
        // Trains the model that 'agd train' trained, through the same ML.NET pipeline with the same options:
        //   dotnet run -c Release -- [data folder] [output folder]
        // The data folder holds {{Reader(run).Holds}};
        // by default the run's own. The output folder (default: model) gets model.zip, model.onnx and metrics.json. On
        // the run's data this trains the same model, as run.json records it.
        {{(IsIdx(run) ? "using System.Buffers.Binary;\nusing System.IO.Compression;" : IsCifar(run) ? "" : "using SkiaSharp;")}}
        using System.Text.Json;
        using Microsoft.ML;
        using Microsoft.ML.Agd;
        using Microsoft.ML.Agd.Optim;
        using Microsoft.ML.Agd.Training;
        using Microsoft.ML.Data;{{(run.Network is null ? "" : "\nusing Microsoft.ML.Agd.Samples.Networks;")}}

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
            var keys = ml.Transforms.Conversion.MapValueToKey("Label", keyData: ml.Transforms.SelectColumns("Label").Fit(names).Transform(names)).Fit(train);
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
                Seed = {{run.Seed}},{{(run.Network is { } network ? $"\n                NetworkFactory = (shape, classes) => {SampleNetworks.Code(network, run.BaseWidth).Factory}, // {SampleNetworks.Code(network, run.BaseWidth).File}, the network the run used" : "")}}
            });
            var agd = trainer.Fit(keys.Transform(train), keys.Transform(test)); // the test images are the validation set, as agd train's
            var metrics = ml.MulticlassClassification.Evaluate(agd.Transform(keys.Transform(test)));
            Console.WriteLine($"Test accuracy: {metrics.MicroAccuracy:P2} (macro {metrics.MacroAccuracy:P2}, log-loss {metrics.LogLoss:F4}) on {test.GetRowCount()} images.");

            Directory.CreateDirectory(output);
            var model = new TransformerChain<ITransformer>(agd, ml.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(agd.Transform(keys.Transform(train))));
            ml.Model.Save(model, train.Schema, Path.Combine(output, "model.zip"));
            agd.Model.ExportOnnx(Path.Combine(output, "model.onnx"));
            File.WriteAllText(Path.Combine(output, "metrics.json"), JsonSerializer.Serialize(new { Accuracy = metrics.MicroAccuracy, MacroAccuracy = metrics.MacroAccuracy, metrics.LogLoss, History = agd.Model.History }, new JsonSerializerOptions { WriteIndented = true }));
            Console.WriteLine($"Wrote model.zip, model.onnx and metrics.json to {Path.GetFullPath(output)}.");
            return 0;
        }

        /// <summary>A labelled image: pixels in [0, 1], and its class name.</summary>
        public sealed class Image
        {
            public float[] Features { get; set; } = [];
            public string Label { get; set; } = "";
        }

        {{Reader(run).Code}}
        """;
}

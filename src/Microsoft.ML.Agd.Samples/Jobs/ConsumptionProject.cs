using System.Reflection;

namespace Microsoft.ML.Agd.Samples.Jobs;

/// <summary>
/// The console project 'agd train' writes beside a model (as Model Builder does): a .csproj with the packages that
/// scoring needs, and a Program.cs that loads model.zip and classifies an image file (<c>dotnet run -- image.png</c>).
/// </summary>
internal static class ConsumptionProject
{
    /// <summary>Writes Predict.csproj and Program.cs into <paramref name="folder"/>, which sits in the model folder.</summary>
    public static void Write(string folder, ModelInfo info)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "Predict.csproj"), Project());
        File.WriteAllText(Path.Combine(folder, "Program.cs"), Program(info));
    }

    private static string Version(string key) => typeof(ConsumptionProject).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    private static string Project() => $"""
        <Project Sdk="Microsoft.NET.Sdk">
          <!-- Classifies image files with the model 'agd train' wrote; Program.cs says how to run it. -->
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>net10.0</TargetFramework>
            <Nullable>enable</Nullable>
            <ImplicitUsings>enable</ImplicitUsings>
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="Microsoft.ML" Version="{Version("MLNetVersion")}" />
            <!-- The network runs as an ONNX model inside model.zip. -->
            <PackageReference Include="Microsoft.ML.OnnxTransformer" Version="{Version("MLNetVersion")}" />
            <PackageReference Include="Microsoft.ML.OnnxRuntime" Version="{Version("OnnxRuntimeVersion")}" />
            <PackageReference Include="Microsoft.ML.OnnxRuntime.Managed" Version="{Version("OnnxRuntimeVersion")}" />
            <!-- Decodes the image file. -->
            <PackageReference Include="SkiaSharp" Version="{Version("SkiaSharpVersion")}" />
            <PackageReference Include="SkiaSharp.NativeAssets.Linux.NoDependencies" Version="{Version("SkiaSharpVersion")}" />
          </ItemGroup>
          <ItemGroup>
            <None Include="../model.zip" Link="model.zip" CopyToOutputDirectory="PreserveNewest" />
          </ItemGroup>
        </Project>

        """;

    /// <summary>
    /// The generated code's decoder, a static function <c>float[]? Pixels(string file)</c>: what agd's own reading of an image
    /// file gives (SkiaSharp, resized to the shape, channel by channel in [0, 1]); null for a file that is not a whole image.
    /// The consumption project and the training project both use it.
    /// </summary>
    public static string PixelsFunction(AgdImageShape shape) => $$"""
        // The model reads {{shape.Channels}}x{{shape.Height}}x{{shape.Width}} pixels in [0, 1], channel by channel ({{(shape.Channels == 1 ? "grey: the mean of R, G and B" : "R, then G, then B")}}); null for a file that is not a whole image.
        static float[]? Pixels(string file)
        {
            using var codec = SKCodec.Create(file);
            if (codec is null)
                return null;
            var layout = codec.Info;
            if (layout.AlphaType == SKAlphaType.Unpremul)
                layout.AlphaType = SKAlphaType.Premul;
            layout.ColorSpace = null;
            using var image = new SKBitmap(layout);
            if (codec.GetPixels(layout, image.GetPixels()) != SKCodecResult.Success)
                return null; // SKBitmap.Decode would keep the rows of a truncated file
            using var resized = image.Resize(new SKImageInfo({{shape.Width}}, {{shape.Height}}, SKColorType.Rgba8888, SKAlphaType.Unpremul), SKFilterQuality.High);
            var rgba = resized.GetPixelSpan();
            int plane = {{shape.Width * shape.Height}};
            var features = new float[{{shape.Channels}} * plane];
            for (int p = 0; p < plane; p++)
            {
                float r = rgba[4 * p] / 255f, g = rgba[4 * p + 1] / 255f, b = rgba[4 * p + 2] / 255f;
                {{(shape.Channels == 1 ? "features[p] = (r + g + b) / 3;" : "features[p] = r; features[plane + p] = g; features[2 * plane + p] = b;")}}
            }
            return features;
        }
        """;

    private static string Program(ModelInfo info) => $$"""
        // Loads the model that 'agd train' wrote and classifies image files: dotnet run -- image.png [more.png ...]
        using System.Security.Cryptography;
        using Microsoft.ML;
        using Microsoft.ML.Data;
        using SkiaSharp;

        if (args.Length == 0)
        {
            Console.Error.WriteLine("usage: dotnet run -- image.png [more.png ...]");
            return 1;
        }
        // The model.zip this project was written for: a changed or replaced file is refused, not used.
        string modelFile = Path.Combine(AppContext.BaseDirectory, "model.zip");
        if (!File.Exists(modelFile) || Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(modelFile))) != "{{info.Sha256!["model.zip"]}}")
            return Fail($"'{modelFile}' is missing, or is not the model.zip this project was written for (its SHA-256 differs): it was changed or damaged. Train again with agd train.");
        var images = new List<(string File, float[] Pixels)>();
        foreach (string file in args)
        {
            if (Directory.Exists(file))
                return Fail($"'{file}' is a folder; give image files.");
            if (!File.Exists(file))
                return Fail($"Image '{file}' does not exist.");
            if (Pixels(file) is not { } pixels)
                return Fail($"Image '{file}' could not be decoded whole: it is not a PNG, JPEG, BMP, GIF or WebP file, or it is truncated or damaged.");
            images.Add((file, pixels));
        }
        var ml = new MLContext();
        var model = ml.Model.Load(modelFile, out _);
        using var temporaryFiles = model as IDisposable; // ONNX Runtime reads the network from a temporary file, deleted on dispose
        var engine = ml.Model.CreatePredictionEngine<ModelInput, ModelOutput>(model);
        foreach (var (file, pixels) in images)
        {
            var prediction = engine.Predict(new ModelInput { Features = pixels });
            Console.WriteLine($"{file}: {prediction.PredictedLabel} ({prediction.Score.Max():P1})");
        }
        return 0;

        static int Fail(string message)
        {
            Console.Error.WriteLine($"error: {message}");
            return 1;
        }

        {{PixelsFunction(info.Shape)}}

        public sealed class ModelInput
        {
            [VectorType({{info.Channels}}, {{info.Height}}, {{info.Width}})]
            public float[] Features { get; set; } = [];
        }

        public sealed class ModelOutput
        {
            public string PredictedLabel { get; set; } = "";
            public float[] Score { get; set; } = [];
        }

        """;
}

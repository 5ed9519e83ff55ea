using System.Reflection;

namespace Microsoft.ML.Agd.Samples.Jobs;

/// <summary>
/// The console project 'agd train' writes beside a model (as Model Builder does): a .csproj with the packages that
/// scoring needs, and a Program.cs that loads model.zip and classifies an image file (<c>dotnet run -- image.png</c>).
/// </summary>
public static class ConsumptionProject
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

    private static string Program(ModelInfo info) => $$"""
        // Loads the model that 'agd train' wrote and classifies image files: dotnet run -- image.png [more.png ...]
        using Microsoft.ML;
        using Microsoft.ML.Data;
        using SkiaSharp;

        if (args.Length == 0)
        {
            Console.Error.WriteLine("usage: dotnet run -- image.png [more.png ...]");
            return 1;
        }
        var ml = new MLContext();
        var model = ml.Model.Load(Path.Combine(AppContext.BaseDirectory, "model.zip"), out _);
        var engine = ml.Model.CreatePredictionEngine<ModelInput, ModelOutput>(model);
        foreach (string file in args)
        {
            var prediction = engine.Predict(new ModelInput { Features = Pixels(file) });
            Console.WriteLine($"{file}: {prediction.PredictedLabel} ({prediction.Score.Max():P1})");
        }
        return 0;

        // The model reads {{info.Channels}}x{{info.Height}}x{{info.Width}} pixels in [0, 1], channel by channel ({{(info.Channels == 1 ? "grey: the mean of R, G and B" : "R, then G, then B")}}).
        static float[] Pixels(string file)
        {
            using var image = SKBitmap.Decode(file) ?? throw new InvalidDataException($"'{file}' is not an image SkiaSharp can decode.");
            using var resized = image.Resize(new SKImageInfo({{info.Width}}, {{info.Height}}, SKColorType.Rgba8888, SKAlphaType.Unpremul), SKFilterQuality.High);
            var rgba = resized.GetPixelSpan();
            int plane = {{info.Width * info.Height}};
            var features = new float[{{info.Channels}} * plane];
            for (int p = 0; p < plane; p++)
            {
                float r = rgba[4 * p] / 255f, g = rgba[4 * p + 1] / 255f, b = rgba[4 * p + 2] / 255f;
                {{(info.Channels == 1 ? "features[p] = (r + g + b) / 3;" : "features[p] = r; features[plane + p] = g; features[2 * plane + p] = b;")}}
            }
            return features;
        }

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

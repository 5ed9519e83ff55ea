using System.Globalization;
using System.Text.RegularExpressions;

namespace Microsoft.ML.Agd.Tests.Packaging;

/// <summary>
/// What a user builds: brand-new console projects outside the repository (no Directory.*.props, no central package
/// management) that take the library as a package or a project reference, with the packages the README names, and run
/// the README's own pipeline snippet; and the consumption project that 'agd train' writes. Restores share the
/// machine's NuGet cache, so they cost seconds once the repository itself has been restored.
/// </summary>
// The agd verbs draw a progress display on the one console, which cannot show two at once.
[DoNotParallelize]
[TestClass]
public class ConsumerTests
{
    [TestMethod]
    public void TheReadmePipelineRunsInANewProjectThatReferencesThePackage()
    {
        using var work = new TinyData();
        string feed = work.Path("feed");
        string version = $"0.1.0-consumer.{DateTime.UtcNow:yyyyMMddHHmmssfff}"; // a new version each run: the NuGet cache never serves a stale one
        DotNet.Run(DotNet.RepositoryRoot, "pack", "src/Microsoft.ML.Agd/Microsoft.ML.Agd.csproj", "-c", DotNet.Configuration, "--no-build", "-o", feed, $"-p:PackageVersion={version}");
        var packages = ReadmeSnippet.Packages();
        Assert.IsTrue(packages.Any(p => p.Package == "Microsoft.ML.Agd"), "The README's install section names the package.");
        var references = packages.Select(p => p.Package == "Microsoft.ML.Agd"
            ? $"""<PackageReference Include="Microsoft.ML.Agd" Version="{version}" />"""
            : $"""<PackageReference Include="{p.Package}" Version="{p.Version}" />""");
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(work.Path("app")).FullName, "nuget.config"),
            $"""<configuration><packageSources><add key="agd-test-feed" value="{feed}" /></packageSources></configuration>""");
        RunReadmePipeline(work, references);
    }

    [TestMethod]
    public void TheReadmePipelineRunsInANewProjectThatReferencesTheLibraryProject()
    {
        using var work = new TinyData();
        var references = ReadmeSnippet.Packages().Where(p => p.Package != "Microsoft.ML.Agd")
            .Select(p => $"""<PackageReference Include="{p.Package}" Version="{p.Version}" />""")
            .Append($"""<ProjectReference Include="{Path.Combine(DotNet.RepositoryRoot, "src", "Microsoft.ML.Agd", "Microsoft.ML.Agd.csproj")}" />""");
        RunReadmePipeline(work, references);
    }

    [TestMethod]
    public void TheProjectThatTrainWritesPredictsWhatAgdPredicts()
    {
        using var data = new TinyData();
        string output = data.Path("model");
        Assert.AreEqual(0, Program.Run(["train", "--data", data.IdxFolder(), "--epochs", "3", "--width", "16", "--output", output]));
        string image = data.Path("one.png");
        TinyData.WritePng(image, SyntheticImages.Vectors(1, 8, seed: 9)[0].Features, 8);
        var folder = new ModelFolder(output);
        string expected = PredictJob.Run(folder, [image], top: 1).Single().Label;

        DotNet.Run(folder.PredictProject, "build", "-c", "Release");
        string printed = DotNet.Run(folder.PredictProject, "run", "-c", "Release", "--no-build", "--", image);
        StringAssert.Contains(printed, $"{image}: {expected} (");
    }

    // A console project with the references, the README's snippet in its Program.cs, and PNGs of three classes to read.
    private static void RunReadmePipeline(TinyData work, IEnumerable<string> references)
    {
        string app = Directory.CreateDirectory(work.Path("app")).FullName;
        File.WriteAllText(Path.Combine(app, "App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                {string.Join("\n    ", references)}
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), ReadmeSnippet.Program(ReadmeSnippet.Pipeline()));
        string images = Directory.CreateDirectory(work.Path("images")).FullName;
        int rows = SyntheticImages.WritePngs(images, perClass: 8, size: 16, seed: 3).Count;

        string build = DotNet.Run(app, "build", "-c", "Release");
        Assert.IsFalse(build.Contains("MSB3277", StringComparison.Ordinal), $"Conflicting assembly versions in the consumer's build:\n{build}");
        string printed = DotNet.Run(app, "run", "-c", "Release", "--no-build", "--", images);

        double accuracy = double.Parse(Regex.Match(printed, @"MicroAccuracy: ([0-9.]+)").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.IsTrue(accuracy is >= 0 and <= 1, printed);
        var reloaded = Regex.Match(printed, @"Reloaded predictions: (\d+), classes: (\S+)");
        Assert.IsTrue(reloaded.Success, printed);
        Assert.IsTrue(int.Parse(reloaded.Groups[1].Value, CultureInfo.InvariantCulture) is > 0 and < 24, printed);
        Assert.IsTrue(reloaded.Groups[2].Value.Split(',').All(SyntheticImages.Classes.Contains), printed);
        Assert.AreEqual(24, rows);
    }
}

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
[TestClass, TestCategory(TestSetup.Integration)]
public class ConsumerTests
{
    [TestMethod]
    public void TheReadmePipelineRunsInANewProjectThatReferencesThePackage()
    {
        using var work = new TinyData();
        string version = PackInto(work, work.Path("app"));
        var packages = ReadmeSnippet.Packages();
        Assert.IsTrue(packages.Any(p => p.Package == "Microsoft.ML.Agd"), "The README's install section names the package.");
        var references = packages.Select(p => p.Package == "Microsoft.ML.Agd"
            ? $"""<PackageReference Include="Microsoft.ML.Agd" Version="{version}" />"""
            : $"""<PackageReference Include="{p.Package}" Version="{p.Version}" />""");
        RunReadmePipeline(work, references);
    }

    // Packs the library into a feed of the work folder, under a version new each run (the NuGet cache never serves a
    // stale one), and points a nuget.config in the project folder at it; returns the version.
    private static string PackInto(TinyData work, string project)
    {
        string feed = work.Path("feed");
        string version = $"0.1.0-consumer.{DateTime.UtcNow:yyyyMMddHHmmssfff}";
        DotNet.Run(DotNet.RepositoryRoot, "pack", "src/Microsoft.ML.Agd/Microsoft.ML.Agd.csproj", "-c", DotNet.Configuration, "--no-build", "-o", feed, $"-p:PackageVersion={version}");
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(project).FullName, "nuget.config"),
            $"""<configuration><packageSources><add key="agd-test-feed" value="{feed}" /></packageSources></configuration>""");
        return version;
    }

    [TestMethod]
    [DataRow("idx")]
    [DataRow("images")]
    [DataRow("cifar")]
    [DataRow("vgg")] // a network the program defines: its source goes into the project
    [DataRow("stopped")] // a run stopped after epoch 2 of 40: the project stops there too
    public void TheTrainingProjectThatTrainWritesTrainsTheSameModelFromThePackage(string kind)
    {
        using var data = new TinyData();
        string idx = kind switch { "idx" or "stopped" => data.IdxFolder(), "cifar" => Samples.DistributedDataTests.Cifar10(data), _ => data.ImageFolder(perClass: 10) };
        string output = data.Path("model");
        string[] imageOptions = kind switch
        {
            "images" => ["--image-size", "8", "--grey"],
            "vgg" => ["--image-size", "8", "--grey", "--network", "vgg16", "--base-width", "2"],
            _ => [],
        };
        string accuracy = "Test accuracy: ";
        if (kind == "stopped")
        {
            using var stop = new CancellationTokenSource();
            var settings = new TrainSettings { Data = new DataSettings { Folder = idx, Seed = 3 }, Trainer = new() { NumberOfEpochs = 40, Width = 16, Depth = 2, Seed = 3 }, Output = output };
            Assert.IsTrue(TrainJob.Run(settings, new SynchronousProgress<AgdEpoch>(e => { if (e.Epoch == 2) stop.Cancel(); }), stop.Token).Cancelled);
        }
        else
        {
            var (code, said) = Cli.Run(["train", "--data", idx, "--epochs", "3", "--width", "16", "--depth", "2", "--seed", "3", "--output", output, .. imageOptions]);
            Assert.AreEqual(0, code, said);
            accuracy = Regex.Match(Cli.Unwrapped(said), @"Test accuracy: [0-9.]+ %").Value;
            Assert.AreNotEqual("", accuracy, said);
        }

        // The project as written, copied into a brand-new folder, built against the packed library.
        string project = data.Path("elsewhere", "train");
        Directory.CreateDirectory(project);
        foreach (string file in Directory.GetFiles(Path.Combine(output, "train")))
            File.Copy(file, Path.Combine(project, Path.GetFileName(file)));
        string version = PackInto(data, project);
        DotNet.Run(project, "build", "-c", "Release", $"-p:AgdVersion={version}");
        string printed = DotNet.Run(project, "run", "-c", "Release", "--no-build", "--", idx, data.Path("retrained"));

        StringAssert.Contains(printed, accuracy);
        CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(output, "model.onnx")), File.ReadAllBytes(data.Path("retrained", "model.onnx")));
        // The folder it writes is one agd reads: evaluated, it scores as the model agd train wrote.
        Assert.AreEqual(EvaluateJob.Run(new ModelFolder(output), idx).Accuracy, EvaluateJob.Run(new ModelFolder(data.Path("retrained")), idx).Accuracy);

        // Bad data is named, not a stack trace.
        var (badCode, badSaid) = DotNet.Execute(project, "run", "-c", "Release", "--no-build", "--", data.Path("no-such-folder"), data.Path("bad"));
        Assert.AreNotEqual(0, badCode, badSaid);
        StringAssert.Contains(badSaid, kind switch
        {
            "idx" or "stopped" => $"error: '{data.Path("no-such-folder")}' has no train-images-idx3-ubyte (or train-images-idx3-ubyte.gz) file.",
            "images" or "vgg" => $"error: Data folder '{data.Path("no-such-folder")}' does not exist.",
            _ => $"error: '{data.Path("no-such-folder")}' has no train.bin: unpack the whole CIFAR binary archive into it.",
        });
        Assert.IsFalse(badSaid.Contains("Unhandled exception", StringComparison.Ordinal), badSaid);
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
        string image = data.OneImage();
        var folder = new ModelFolder(output);
        string expected = PredictJob.Run(folder, [image], top: 1).Single().Label;

        DotNet.Run(folder.PredictProject, "build", "-c", "Release");
        string printed = DotNet.Run(folder.PredictProject, "run", "-c", "Release", "--no-build", "--", image);
        StringAssert.Contains(printed, $"{image}: {expected} (");

        // Bad input, as agd predict names it: an error line and exit code 1, never an unhandled exception.
        string truncated = data.Path("truncated.png");
        File.WriteAllBytes(truncated, File.ReadAllBytes(image)[..40]);
        File.WriteAllText(data.Path("notes.txt"), "not an image");
        foreach (var (file, message) in new[]
        {
            (data.Path("missing.png"), $"error: Image '{data.Path("missing.png")}' does not exist."),
            (data.Root, $"error: '{data.Root}' is a folder; give image files."),
            (data.Path("notes.txt"), $"error: Image '{data.Path("notes.txt")}' could not be decoded whole"),
            (truncated, $"error: Image '{truncated}' could not be decoded whole"),
        })
        {
            var (code, said) = DotNet.Execute(folder.PredictProject, "run", "-c", "Release", "--no-build", "--", image, file);
            Assert.AreEqual(1, code, said);
            StringAssert.Contains(said, message);
            Assert.IsFalse(said.Contains("Unhandled exception", StringComparison.Ordinal), said);
        }
        // A model.zip that is not the one the project was written for is refused, not used.
        string copied = Path.Combine(folder.PredictProject, "bin", "Release", "net10.0", "model.zip");
        File.AppendAllText(copied, " ");
        var (changedCode, changedOutput) = DotNet.Execute(folder.PredictProject, "run", "-c", "Release", "--no-build", "--", image);
        Assert.AreEqual(1, changedCode, changedOutput);
        StringAssert.Contains(changedOutput, "is not the model.zip this project was written for (its SHA-256 differs)");
    }

    [TestMethod]
    public void AnApplicationWithoutOnnxRuntimesNativePackageIsToldBeforeTraining()
    {
        using var work = new TinyData();
        var references = ReadmeSnippet.Packages().Where(p => p.Package is not ("Microsoft.ML.Agd" or "Microsoft.ML.OnnxRuntime"))
            .Select(p => $"""<PackageReference Include="{p.Package}" Version="{p.Version}" />""")
            .Append($"""<ProjectReference Include="{Path.Combine(DotNet.RepositoryRoot, "src", "Microsoft.ML.Agd", "Microsoft.ML.Agd.csproj")}" />""");
        string app = WriteReadmeApp(work, references);
        DotNet.Run(app, "build", "-c", "Release");
        var (code, printed) = DotNet.Execute(app, "run", "-c", "Release", "--no-build", "--", work.Path("images"));
        Assert.AreNotEqual(0, code, printed);
        StringAssert.Contains(printed, "ONNX Runtime's native library (onnxruntime) could not be loaded, and a trained model is scored with it, so nothing was trained.");
        StringAssert.Contains(printed, "must reference the package Microsoft.ML.OnnxRuntime, version 1.31.1");
    }

    // A console project with the references, the README's snippet in its Program.cs, and PNGs of three classes to read.
    private static void RunReadmePipeline(TinyData work, IEnumerable<string> references)
    {
        string app = WriteReadmeApp(work, references);
        string build = DotNet.Run(app, "build", "-c", "Release");
        Assert.IsFalse(build.Contains("MSB3277", StringComparison.Ordinal), $"Conflicting assembly versions in the consumer's build:\n{build}");
        string printed = DotNet.Run(app, "run", "-c", "Release", "--no-build", "--", work.Path("images"));

        // ML.NET's evaluation of the fitted model, and the share of the reloaded model's labels that are right, counted by hand.
        string accuracy = Regex.Match(printed, @"MicroAccuracy: ([0-9.]+)").Groups[1].Value;
        Assert.AreEqual(accuracy, Regex.Match(printed, @"Reloaded accuracy: ([0-9.]+)").Groups[1].Value, printed);
        var reloaded = Regex.Match(printed, @"Reloaded predictions: (\d+), classes: (\S+)");
        Assert.IsTrue(reloaded.Success, printed);
        // One prediction per test row, none dropped or added by the reloaded chain.
        Assert.AreEqual(Regex.Match(printed, @"Test rows: (\d+)").Groups[1].Value, reloaded.Groups[1].Value, printed);
    }

    // The project (app/) and 24 PNGs of three classes (images/); returns the project's folder.
    private static string WriteReadmeApp(TinyData work, IEnumerable<string> references)
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
        SyntheticImages.WritePngs(images, perClass: 8, size: 16, seed: 3);
        return app;
    }
}

using System.Text.Json;

namespace Microsoft.ML.Agd.Tests.Samples;

// The agd verbs draw a progress display on the one console, which cannot show two at once.
[DoNotParallelize]
[TestClass]
public class VerbTests
{
    private static readonly byte[] s_pngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G'];

    [TestMethod]
    public void TrainWritesEveryOutputAndEvaluateAgreesWithItsMetrics()
    {
        using var data = new TinyData();
        string output = data.Path("model");
        int exit = Program.Run(["train", "--data", data.IdxFolder(), "--epochs", "8", "--batch-size", "10", "--width", "32", "--output", output]);
        Assert.AreEqual(0, exit);
        var folder = new ModelFolder(output);
        foreach (string file in new[] { folder.Model, folder.Onnx, folder.Info, folder.Metrics, folder.Curves, Path.Combine(folder.PredictProject, "Program.cs"), Path.Combine(folder.PredictProject, "Predict.csproj") })
            Assert.IsTrue(File.Exists(file) && new FileInfo(file).Length > 0, file);
        CollectionAssert.AreEqual(s_pngSignature, File.ReadAllBytes(folder.Curves)[..4]);
        StringAssert.Contains(File.ReadAllText(Path.Combine(folder.PredictProject, "Program.cs")), "[VectorType(1, 8, 8)]");
        // The FCN's three linear layers, the first reading the 64 pixels: L = 3, s = sqrt(32 / 64).
        CollectionAssert.AreEqual(new[] { "AGD layers: L = 3", "  1. network.layers.0.weight [32, 64] s = 0.7071" }, File.ReadLines(folder.Layers).Take(2).ToArray());

        var info = folder.ReadInfo();
        CollectionAssert.AreEqual(SyntheticImages.Classes, info.ClassNames.ToArray());
        using var metrics = JsonDocument.Parse(File.ReadAllText(folder.Metrics));
        double trainedAccuracy = metrics.RootElement.GetProperty("Accuracy").GetDouble();
        Assert.AreEqual(8, metrics.RootElement.GetProperty("History").GetArrayLength());
        Assert.IsTrue(trainedAccuracy > 0.6, $"accuracy {trainedAccuracy}");

        // The saved model, reloaded, scores the test files exactly as the trained one did.
        var evaluation = EvaluateJob.Run(folder, data.Path("idx"));
        Assert.AreEqual(trainedAccuracy, evaluation.Accuracy, 1e-9);
        Assert.AreEqual(30, evaluation.PerClass.Sum(c => c.Images));
        Assert.AreEqual(30.0, evaluation.ConfusionMatrix.Sum(r => r.Sum()));

        Assert.AreEqual(0, Program.Run(["evaluate", "--model", output, "--data", data.Path("idx")]));
        CollectionAssert.AreEqual(s_pngSignature, File.ReadAllBytes(Path.Combine(output, "confusion.png"))[..4]);
    }

    [TestMethod]
    public void TrainOnAnImageFolderThenPredictFiles()
    {
        using var data = new TinyData();
        string images = data.ImageFolder(perClass: 15);
        string output = data.Path("model");
        Assert.AreEqual(0, Program.Run(["train", "--data", images, "--epochs", "15", "--batch-size", "8", "--image-size", "8", "--grey", "--output", output]));
        var info = new ModelFolder(output).ReadInfo();
        Assert.AreEqual(new AgdImageShape(1, 8, 8), info.Shape);

        var files = Directory.GetFiles(Path.Combine(images, "vertical")).Take(3).Append(Directory.GetFiles(Path.Combine(images, "horizontal"))[0]).ToArray();
        var predictions = PredictJob.Run(new ModelFolder(output), files, top: 2);
        Assert.AreEqual(4, predictions.Count);
        foreach (var p in predictions)
        {
            Assert.AreEqual(2, p.Top.Count);
            Assert.AreEqual(p.Label, p.Top[0].Class, "The label is the best-scoring class.");
            Assert.IsTrue(p.Top[0].Score >= p.Top[1].Score);
        }
        Assert.IsTrue(predictions.Count(p => p.Label == Path.GetFileName(Path.GetDirectoryName(p.File))) >= 3, "Training images are mostly recognised.");
        Assert.AreEqual(0, Program.Run(["predict", "--model", output, .. files]));
    }

    [TestMethod]
    public void VerbsReportBadInputWithExitCodeOne()
    {
        using var data = new TinyData();
        Assert.AreEqual(1, Program.Run(["train", "--data", data.Path("missing"), "--output", data.Path("out")]));
        Assert.AreEqual(1, Program.Run(["evaluate", "--model", data.Path("no-model")]));
        var e = Assert.ThrowsExactly<DirectoryNotFoundException>(() => EvaluateJob.Run(new ModelFolder(data.Path("no-model")), null));
        StringAssert.Contains(e.Message, "is not a model folder");
        Assert.AreNotEqual(0, Program.Run(["train", "--epochs", "many"]));
    }

    [TestMethod]
    public void CompareRunsAgdOnceAndEveryLearningRateOfBothGrids()
    {
        using var data = new TinyData();
        var settings = new CompareSettings
        {
            Train = new TrainSettings { Data = new() { Folder = data.IdxFolder(perClassTrain: 10, perClassTest: 5) }, Trainer = new() { NumberOfEpochs = 2, BatchSize = 10, Width = 16 } },
            Grid = [1e-3, 1e3],
        };
        var comparison = CompareJob.Run(settings);
        Assert.AreEqual("AGD", comparison.Agd.Name);
        CollectionAssert.AreEqual(new[] { "Adam lr=0.001", "Adam lr=1000", "SGD lr=0.001", "SGD lr=1000" }, comparison.Grid.Select(r => r.Name).ToArray());
        Assert.AreEqual(2, comparison.Agd.Curve.Count);
        Assert.IsTrue(comparison.Grid.All(r => r.Diverged || r.Curve.Count == 2));
        string table = comparison.ToMarkdown();
        StringAssert.Contains(table, "| AGD |");
        Assert.AreEqual(5, table.Split('\n').Count(l => l.StartsWith("| ", StringComparison.Ordinal) && !l.StartsWith("| run", StringComparison.Ordinal)));
        StringAssert.Contains(table, "Grid total:");

        string output = data.Path("compare");
        Assert.AreEqual(0, Program.Run(["compare", "--data", data.Path("idx"), "--epochs", "1", "--batch-size", "10", "--width", "8", "--output", output]));
        CollectionAssert.AreEqual(s_pngSignature, File.ReadAllBytes(Path.Combine(output, "compare.png"))[..4]);
        StringAssert.Contains(File.ReadAllText(Path.Combine(output, "compare.md")), "SGD lr=0.1");
    }
}

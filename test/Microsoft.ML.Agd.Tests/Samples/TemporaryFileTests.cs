namespace Microsoft.ML.Agd.Tests.Samples;

/// <summary>ONNX Runtime scores a network from a temporary file: every verb deletes its own when done.</summary>
[DoNotParallelize]
[TestClass]
public class TemporaryFileTests
{
    [TestMethod]
    public void TrainEvaluateAndPredictLeaveNothingInTheTemporaryFolder()
    {
        using var data = new TinyData();
        string idx = data.IdxFolder();
        string image = data.OneImage();
        string temporary = Directory.CreateDirectory(data.Path("tmp")).FullName;
        using (Cli.WithTemporaryFolder(temporary))
        {
            Assert.AreEqual(temporary, Path.TrimEndingDirectorySeparator(Path.GetTempPath()));
            string model = data.Path("model");
            foreach (var args in new[] { ["train", "--data", idx, "--epochs", "1", "--width", "16", "-o", model], ["evaluate", "-m", model, "--data", idx], new[] { "predict", "-m", model, image } })
            {
                var (code, printed) = Cli.Run(args);
                Assert.AreEqual(0, code, printed);
                var left = Directory.GetFileSystemEntries(temporary);
                Assert.AreEqual(0, left.Length, $"agd {args[0]} left {string.Join(", ", left.Select(f => $"{Path.GetFileName(f)} ({new FileInfo(f).Length} bytes)"))}");
            }
        }
    }
}

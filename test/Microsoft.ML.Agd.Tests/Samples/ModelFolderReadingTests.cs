namespace Microsoft.ML.Agd.Tests.Samples;

/// <summary>
/// Reading a model folder blames the folder only for what is wrong with it: not for another run replacing it meanwhile,
/// nor for a temporary folder that cannot be written; and a failed read leaves no temporary file.
/// </summary>
[DoNotParallelize]
[TestClass]
public class ModelFolderReadingTests
{
    [TestMethod]
    public void AFolderReplacedWhileItIsReadIsReadAgainNotCalledDamaged()
    {
        using var data = new TinyData();
        string image = data.OneImage();
        string first = ModelFolders.TrainTiny(data, data.Path("first"), epochs: 1), second = ModelFolders.TrainTiny(data, data.Path("second"), epochs: 2);
        var expected = new[] { first, second }.Select(m => ModelFolders.Predict(m, image)).ToHashSet();
        string live = data.Path("live");
        CopyFolder(first, live);

        // Another run puts a new model in place, again and again, as agd train -o does (a whole folder in one step).
        using var stop = new CancellationTokenSource();
        var replacing = Task.Run(() =>
        {
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                string staging = AtomicFolder.Beside(live, "staging");
                CopyFolder(i % 2 == 0 ? second : first, staging);
                AtomicFolder.Replace(staging, live);
            }
        });
        try
        {
            for (int i = 0; i < 60; i++)
                Assert.IsTrue(expected.Contains(ModelFolders.Predict(live, image)), "a prediction of one of the two models");
            // What evaluate checks first (its -m a model folder): model.json and the checksums of the files it records.
            var classes = new ModelFolder(first).ReadInfo().ClassNames;
            for (int i = 0; i < 300; i++)
                CollectionAssert.AreEqual(classes.ToList(), new ModelFolder(live).ReadInfo().ClassNames.ToList());
        }
        finally
        {
            stop.Cancel();
            replacing.Wait();
        }
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    [TestMethod]
    public void ATemporaryFolderThatCannotBeWrittenIsNamedNotBlamedOnTheModel()
    {
        using var data = new TinyData();
        string model = ModelFolders.TrainTiny(data, data.Path("model"));
        string image = data.OneImage();
        string temporary = Directory.CreateDirectory(data.Path("tmp")).FullName;
        using (ModelFolders.ReadOnly(temporary))
        {
            var (code, printed) = Packaging.DotNet.Execute(data.Root, [Cli.AgdDll, "predict", "-m", model, image], new Dictionary<string, string> { ["TMPDIR"] = temporary });
            Assert.AreEqual(1, code, printed);
            StringAssert.Contains(printed, $"error: The temporary folder '{temporary}/' cannot be written");
            Assert.IsFalse(printed.Contains("damaged", StringComparison.Ordinal), printed);

            // Where ML.NET cannot unpack the model into the temporary folder (a library user's process has no folder of its own), that is named too.
            var folder = new ModelFolder(model);
            using var _ = Cli.WithTemporaryFolder(temporary);
            var e = Assert.ThrowsExactly<IOException>(() => folder.Open(new MLContext(0))); // an MLContext takes the temporary folder it is made with
            StringAssert.Contains(e.Message, $"The model '{folder.Model}' could not be unpacked into the temporary folder '{temporary}/'");
        }
    }

    [TestMethod]
    public void AModelJsonThatDisagreesWithModelZipLeavesNoTemporaryFile()
    {
        using var data = new TinyData();
        string model = ModelFolders.TrainTiny(data, data.Path("model"));
        string json = Path.Combine(model, "model.json");
        File.WriteAllText(json, File.ReadAllText(json).Replace("\"diagonal\"", "\"circle\""));
        string temporary = Directory.CreateDirectory(data.Path("tmp")).FullName;
        using (Cli.WithTemporaryFolder(temporary))
        {
            var e = Assert.ThrowsExactly<InvalidDataException>(() => new ModelFolder(model).Open(new MLContext(0)));
            StringAssert.Contains(e.Message, "model.json cannot be used because its ClassNames");
        }
        var left = Directory.GetFileSystemEntries(temporary, "*", SearchOption.AllDirectories);
        Assert.AreEqual(0, left.Length, $"left: {string.Join(", ", left)}");
    }

    [TestMethod]
    public void ScoringWritesNoTelemetryIntoTheTemporaryFolder()
    {
        using var data = new TinyData();
        string model = ModelFolders.TrainTiny(data, data.Path("model"));
        string temporary = Directory.CreateDirectory(data.Path("tmp")).FullName;
        var (code, printed) = Packaging.DotNet.Execute(data.Root, [Cli.AgdDll, "evaluate", "-m", model, "--data", data.Path("idx")], new Dictionary<string, string> { ["TMPDIR"] = temporary });
        Assert.AreEqual(0, code, printed);
        // ONNX Runtime 1.31 writes its telemetry session into TMPDIR/.ses unless told not to.
        Assert.AreEqual(0, Directory.GetFileSystemEntries(temporary).Length, string.Join(", ", Directory.GetFileSystemEntries(temporary)));
    }
}

using Microsoft.ML.Agd.Samples.Language;

namespace Microsoft.ML.Agd.Tests.Samples;

/// <summary>Every verb writes only into a folder it owns, named as the user gave it, checked before any work.</summary>
[DoNotParallelize]
[TestClass]
public class OutputOwnershipTests
{
    // A folder of the user's, as docs/ or a data folder is: a file of theirs, and one named as the verb's own output.
    private static (string Folder, Dictionary<string, byte[]> Before) UsersFolder(TinyData data, string ownName)
    {
        string folder = Directory.CreateDirectory(data.Path("users")).FullName;
        File.WriteAllText(Path.Combine(folder, "notes.md"), "the user's notes");
        File.WriteAllText(Path.Combine(folder, ownName), "the user's chart");
        return (folder, ModelFolders.Snapshot(folder));
    }

    [TestMethod]
    [DataRow("compare", "compare.png")]
    [DataRow("lm compare", "compare.md")]
    public void ComparisonsRefuseAFolderHoldingOtherFilesBeforeAnyWork(string verb, string ownName)
    {
        using var data = new TinyData();
        var (folder, before) = UsersFolder(data, ownName);
        // The data does not exist: a check that came after reading it would report the data instead.
        string[] input = verb == "compare" ? ["--data", data.Path("no-such-data"), "-e", "1"] : ["--text", data.Path("no-such-text.txt")];
        var (code, printed) = Cli.Run([.. verb.Split(' '), .. input, "-o", folder]);
        Assert.AreEqual(1, code, printed);
        StringAssert.Contains(printed, $"The output folder (-o) '{folder}' holds notes.md, which is not part of a comparison folder");
        ModelFolders.AssertUnchanged(before, folder);
    }

    [TestMethod]
    public void AUsersFileInAModelsProjectFolderIsNotReplacedWithIt()
    {
        using var data = new TinyData();
        string model = ModelFolders.TrainTiny(data, data.Path("model"), epochs: 1);
        Directory.CreateDirectory(Path.Combine(model, "predict", "bin"));
        File.WriteAllText(Path.Combine(model, "predict", "bin", "Predict.dll"), "a build's output"); // the project's own build: replaced with it
        File.WriteAllText(Path.Combine(model, "predict", "notes.txt"), "precious");
        File.WriteAllText(Path.Combine(model, ".agd-probe-mine"), "named like a probe that a killed run left, but not one");
        File.WriteAllText(Path.Combine(model, $".agd-probe-123-{Guid.NewGuid():N}"), "1\n"); // one a killed run left: not the user's
        AssertRefusedAndUnchanged(model, $"The output folder (-o) '{model}' holds .agd-probe-mine, predict/notes.txt, which is not part of a model folder",
            "train", "--data", data.IdxFolder(), "-e", "1", "-o", model);
    }

    [TestMethod]
    [DataRow("lm train", "language-model folder")]
    [DataRow("lm compare", "comparison folder")]
    public void AnOutputFolderThatHoldsTheTextTheRunReadsIsRefused(string verb, string kind)
    {
        // sample.txt is a name a language-model folder holds, compare.md one a comparison folder holds: only what is read tells them apart.
        using var data = new TinyData();
        string folder = Directory.CreateDirectory(data.Path("m")).FullName, text = Path.Combine(folder, verb == "lm train" ? "sample.txt" : "compare.md");
        File.WriteAllText(text, string.Concat(Enumerable.Repeat("To be, or not to be, that is the question. ", 40)));
        AssertRefusedAndUnchanged(folder, $"The output folder (-o) '{folder}' holds '{text}', which this run reads, and a new {kind} replaces the whole folder",
            [.. verb.Split(' '), "-t", text, "--layers", "1", "--heads", "1", "--width", "16", "--context", "8", "-b", "2", "-i", "2", "-o", folder]);
    }

    [TestMethod]
    [DataRow("compare", "lm compare")]
    [DataRow("lm compare", "compare")]
    public void AComparisonOfTheOtherVerbIsNotReplaced(string verb, string other)
    {
        // The two verbs write files of the same names; compare.md's table tells whose a folder is.
        using var data = new TinyData();
        string folder = Directory.CreateDirectory(data.Path("earlier")).FullName;
        File.WriteAllText(Path.Combine(folder, "compare.md"), (other == "compare" ? CompareJob.TableHeader : LanguageModelComparison.TableHeader) + "\n");
        File.WriteAllText(Path.Combine(folder, "compare.png"), "the earlier chart");
        string[] input = verb == "compare" ? ["--data", data.Path("no-such-data"), "-e", "1"] : ["--text", data.Path("no-such-text.txt")];
        AssertRefusedAndUnchanged(folder, $"The output folder (-o) '{folder}' holds the comparison that agd {other} wrote", [.. verb.Split(' '), .. input, "-o", folder]);
    }

    // Runs agd, and checks that it refused with the message and left the folder byte for byte as it was.
    private static void AssertRefusedAndUnchanged(string folder, string message, params string[] args)
    {
        var before = ModelFolders.Snapshot(folder);
        var (code, printed) = Cli.Run(args);
        Assert.AreEqual(1, code, printed);
        StringAssert.Contains(Cli.Unwrapped(printed), message);
        ModelFolders.AssertUnchanged(before, folder);
    }

    [TestMethod]
    public void CompareWritesAWholeFolderAndReplacesAnEarlierComparison()
    {
        using var data = new TinyData();
        string idx = data.IdxFolder(perClassTrain: 6, perClassTest: 3), folder = data.Path("compare");
        for (int run = 0; run < 2; run++)
        {
            var (code, printed) = Cli.Run("compare", "--data", idx, "-e", "1", "--width", "8", "-o", folder);
            Assert.AreEqual(0, code, printed);
        }
        CollectionAssert.AreEquivalent(CompareJob.Files, Directory.GetFileSystemEntries(folder).Select(Path.GetFileName).ToArray());
        CollectionAssert.AreEqual(new[] { "compare", "idx" }, Directory.GetFileSystemEntries(data.Root).Select(Path.GetFileName).Order().ToArray(), "no staging folder left");
    }

    [TestMethod]
    public void EvaluateWritesItsChartOnlyIntoItsModelFolderOrAFolderOfItsOwn()
    {
        using var data = new TinyData();
        string model = ModelFolders.TrainTiny(data, data.Path("model"));
        var (folder, before) = UsersFolder(data, "confusion.png");
        var (code, printed) = Cli.Run("evaluate", "-m", model, "--data", data.Path("idx"), "-o", folder);
        Assert.AreEqual(1, code, printed);
        StringAssert.Contains(printed, $"The output folder (-o) '{folder}' holds notes.md, which is not part of a model evaluation");
        ModelFolders.AssertUnchanged(before, folder);

        foreach (string own in new[] { data.Path("evaluation"), model })
        {
            (code, printed) = Cli.Run("evaluate", "-m", model, "--data", data.Path("idx"), "-o", own);
            Assert.AreEqual(0, code, printed);
            Assert.IsTrue(new FileInfo(Path.Combine(own, "confusion.png")).Length > 0);
        }
    }

    [TestMethod]
    public void EvaluateThatCannotPlaceItsChartLeavesNoPartialChart()
    {
        using var data = new TinyData();
        string model = ModelFolders.TrainTiny(data, data.Path("model"));
        Directory.CreateDirectory(Path.Combine(model, "confusion.png")); // a folder where the chart goes: the move fails
        var (code, printed) = Cli.Run("evaluate", "-m", model, "--data", data.Path("idx"));
        Assert.AreEqual(1, code, printed);
        StringAssert.Contains(printed, $"The output folder (-o) '{model}' cannot take confusion.png");
        Assert.AreEqual(0, Directory.GetFiles(model, ".confusion-*").Length, "the chart drawn beside is deleted");
    }

    [TestMethod]
    public void AnOutputFolderThatIsASymbolicLinkGetsTheNewModelAndStaysALink()
    {
        using var data = new TinyData();
        var (target, before) = ModelFolders.EarlierModel(data);
        string link = data.Path("latest");
        Directory.CreateSymbolicLink(link, target);
        var (code, printed) = Cli.Run("train", "--data", data.Path("idx"), "--epochs", "2", "--width", "16", "-o", link);
        Assert.AreEqual(0, code, printed);
        Assert.AreEqual(target, new DirectoryInfo(link).LinkTarget, "the link still names the folder");
        CollectionAssert.AreNotEqual(before["model.zip"], File.ReadAllBytes(Path.Combine(target, "model.zip")), "the folder holds the new model");
        Assert.AreEqual(3, new ModelFolder(link).ReadInfo().ClassNames.Count);

        File.Delete(link);
        Directory.CreateSymbolicLink(link, data.Path("nothing-here"));
        (code, printed) = Cli.Run("train", "--data", data.Path("idx"), "-o", link);
        Assert.AreEqual(1, code, printed);
        StringAssert.Contains(printed, $"is a symbolic link to '{data.Path("nothing-here")}', which is not a folder");
    }

    [TestMethod]
    public void AnOutputNameOfTheLongestLegalLengthTrains()
    {
        using var data = new TinyData();
        string output = data.Path(new string('m', 250)); // a staging name beside it would be 300 characters, if the name were kept whole
        var (code, printed) = Cli.Run("train", "--data", data.IdxFolder(), "--epochs", "1", "--width", "16", "-o", output);
        Assert.AreEqual(0, code, printed);
        Assert.AreEqual(3, new ModelFolder(output).ReadInfo().ClassNames.Count);
        CollectionAssert.AreEquivalent(new[] { "idx", Path.GetFileName(output) }, Directory.GetFileSystemEntries(data.Root).Select(Path.GetFileName).ToArray());
    }
}

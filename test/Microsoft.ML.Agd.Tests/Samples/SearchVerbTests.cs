using System.Text.RegularExpressions;

namespace Microsoft.ML.Agd.Tests.Samples;

// The agd verbs draw a progress display on the one console, which cannot show two at once.
[DoNotParallelize]
[TestClass]
public class SearchVerbTests
{
    [TestMethod]
    public void SearchPrintsItsLeaderboardAndWritesTheBestModel()
    {
        using var data = new TinyData();
        string output = data.Path("search");
        var outcome = SearchJob.Run(new SearchSettings { Data = new() { Folder = data.IdxFolder(perClassTrain: 10, perClassTest: 5) }, Search = new() { Budget = TimeSpan.FromSeconds(12), InitialTrials = 2 }, Output = output });
        Assert.IsTrue(outcome.Result.Leaderboard.Count >= 1);
        StringAssert.Contains(File.ReadAllText(Path.Combine(output, "leaderboard.md")), "| 1 |");
        Assert.AreEqual(File.ReadAllText(Path.Combine(output, "leaderboard.md")), outcome.Report, "the verb prints what it writes");
        // It prints what it measured, and no estimate of what a learning-rate search would take (benchmark section 13 measures one).
        StringAssert.Matches(outcome.Summary[1], new Regex(@"its \d+ trials took \d+ s"));
        Assert.AreEqual(2, outcome.Summary.Count, string.Join(" / ", outcome.Summary));
        foreach (var file in new[] { "search.png", "model.zip", "model.onnx", "model.json", "predict/Program.cs" })
            Assert.IsTrue(File.Exists(Path.Combine(output, file)), file);
        // The winner's training code spells out its configuration; the report names it.
        var winner = outcome.Result.Best.Configuration;
        string program = File.ReadAllText(Path.Combine(output, "train", "Program.cs"));
        StringAssert.Contains(program, $"Architecture = AgdArchitecture.{winner.Architecture},");
        StringAssert.Contains(program, winner.Architecture == AgdArchitecture.Fcn ? $"Width = {winner.Width}," : $"BaseWidth = {winner.BaseWidth},");
        StringAssert.Contains(program, $"NumberOfEpochs = {(int)Math.Ceiling(outcome.Result.Best.Epochs)},");
        StringAssert.Contains(File.ReadAllText(Path.Combine(output, "report.html")), System.Net.WebUtility.HtmlEncode($"Model search: {winner}"));
        // The best model is written as train writes one, so the other verbs read it: evaluated from its folder, it scores
        // what the search measured in memory.
        Assert.AreEqual(15, outcome.Test.PerClass.Sum(c => c.Images));
        var evaluated = EvaluateJob.Run(new ModelFolder(output), data.Path("idx"));
        Assert.AreEqual(outcome.Test.Accuracy, evaluated.Accuracy, 1e-12);
        Assert.AreEqual(outcome.Test.LogLoss, evaluated.LogLoss, 1e-6);
    }

    [TestMethod]
    [DataRow("--depths", "0", "--depths must be positive. It was 0.")]
    [DataRow("--widths", "0", "--widths must be positive. It was 0.")]
    [DataRow("--base-widths", "-1", "--base-widths must be positive. It was -1.")]
    [DataRow("--batch-sizes", "-5", "--batch-sizes must be positive. It was -5.")]
    [DataRow("--architectures", "custom", "--architectures custom needs a network written in C#")]
    public void SearchChecksItsListsBeforeReadingData(string option, string value, string message)
    {
        using var data = new TinyData();
        // The data does not exist: a check that came after reading it would report the data instead.
        var (code, printed) = Cli.Run("search", "--data", data.Path("no-such-data"), option, value, "-o", data.Path("search"));
        Assert.AreEqual(1, code, printed);
        StringAssert.Contains(printed, message);
        Assert.IsFalse(printed.Contains("no-such-data", StringComparison.Ordinal), printed);
    }

    [TestMethod]
    public void ATrialRefusedForItsSizeNamesTheSearchsListByItsFlag()
    {
        using var data = new TinyData();
        var (code, printed) = Cli.Run("search", "--data", data.IdxFolder(perClassTrain: 10, perClassTest: 5), "--architectures", "fcn", "--depths", "2147483647",
            "--budget", "00:00:05", "--trials", "1", "-o", data.Path("search"));
        Assert.AreEqual(1, code, printed);
        StringAssert.Contains(printed, "FCN depth 2147483647");
        StringAssert.Contains(printed, "Make --depths smaller.");
        Assert.IsFalse(printed.Contains("(Parameter", StringComparison.Ordinal) || printed.Contains("Depth smaller", StringComparison.Ordinal), printed);
    }

    [TestMethod]
    [DataRow("3")]
    [DataRow("1:2:3:4")]
    public void ABudgetIsADurationAsHoursMinutesAndSeconds(string budget)
    {
        // .NET's own reading would take "3" for three days and "1:2:3:4" for a day and two hours.
        using var data = new TinyData();
        var (code, printed) = Cli.Run("search", "--data", data.Path("no-such-data"), "--budget", budget, "-o", data.Path("search"));
        Assert.AreEqual(1, code, printed);
        StringAssert.Contains(Cli.Unwrapped(printed), $"--budget takes a duration as hh:mm:ss, or d.hh:mm:ss with days (00:10:00 is ten minutes), not '{budget}'.");
    }

    [TestMethod]
    public void ArchitectureCustomIsNotOfferedOnTheCommandLine()
    {
        var (_, help) = Cli.Run("train", "--help");
        StringAssert.Contains(help, "fcn|resnet18|resnet34|resnet50");
        Assert.IsFalse(help.Contains("custom", StringComparison.OrdinalIgnoreCase), help);
        var (code, printed) = Cli.Run("train", "-a", "custom");
        Assert.AreEqual(1, code, printed);
        StringAssert.Contains(printed, "--architecture custom needs a network written in C#");
        StringAssert.Contains(printed, "--network vgg16");
        (code, printed) = Cli.Run("train", "--network", "vgg16", "-a", "resnet18");
        Assert.AreEqual(1, code, printed);
        StringAssert.Contains(printed, "--network and --architecture (-a) each choose the network; give one of them.");
    }
}

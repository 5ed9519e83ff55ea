namespace Microsoft.ML.Agd.Tests.Samples;

/// <summary>
/// Every numeric option of every verb, found in the command tree itself, at 0, -1, its type's largest value and NaN:
/// each ends in a named error or a run, never an exception, a stack trace or a hang.
/// </summary>
[DoNotParallelize]
[TestClass]
public class NumericOptionTests
{
    private static readonly Dictionary<Type, string[]> s_values = new()
    {
        [typeof(int)] = ["0", "-1", $"{int.MaxValue}", "NaN"],
        [typeof(int[])] = ["0", "-1", $"{int.MaxValue}", "NaN"],
        [typeof(double)] = ["0", "-1", "1.7976931348623157E+308", "NaN"],
        [typeof(TimeSpan)] = ["0", "-00:00:01", $"{TimeSpan.MaxValue}", "NaN"],
    };

    [TestMethod]
    [Timeout(600_000)]
    public void EveryNumericOptionAtItsLimitsIsNamedOrTakes()
    {
        using var data = new TinyData();
        string model = ModelFolders.TrainTiny(data, data.Path("model"), epochs: 1);
        string image = data.OneImage();
        // What each verb needs besides the option: data that does not exist where a valid value would start a long run
        // (the options are checked before it is read), real inputs where a run is short.
        var needs = new Dictionary<string, string[]>
        {
            ["train"] = ["--data", data.Path("no-such-data"), "-o", data.Path("out")],
            ["compare"] = ["--data", data.Path("no-such-data"), "-o", data.Path("out")],
            ["search"] = ["--data", data.Path("no-such-data"), "-o", data.Path("out")],
            ["predict"] = ["-m", model, image],
            ["lm train"] = ["--text", data.Path("no-such-text.txt"), "-o", data.Path("out")],
            ["lm compare"] = ["--text", data.Path("no-such-text.txt"), "-o", data.Path("out")],
            ["lm generate"] = ["-m", TinyLanguageModel.Folder, "--prompt", "ab", "--length", "20"],
        };
        var cases = Verbs(Program.Commands(), "").SelectMany(v => v.Command.Options
                .Where(o => s_values.ContainsKey(o.ValueType))
                .SelectMany(o => s_values[o.ValueType].Select(value => (v.Path, Option: o.Name, Value: value))))
            .ToList();
        Assert.IsTrue(cases.Count > 150 && needs.Keys.All(v => cases.Any(c => c.Path == v)), $"{cases.Count} cases over {string.Join(", ", cases.Select(c => c.Path).Distinct())}");

        foreach (var (verb, option, value) in cases)
        {
            // The value itself last: an option given twice takes its last value.
            var (code, printed) = Cli.Run([.. verb.Split(' '), .. needs[verb], option, value]);
            string what = $"agd {verb} {option} {value}:\n{printed}";
            Assert.IsTrue(code is 0 or 1, what);
            Assert.IsFalse(printed.Contains("   at ", StringComparison.Ordinal) || printed.Contains("Unhandled", StringComparison.Ordinal), what);
            if (code == 1)
                Assert.IsTrue(printed.Contains("error:", StringComparison.Ordinal) || printed.Contains(option, StringComparison.Ordinal), what);
        }
    }

    private static IEnumerable<(string Path, System.CommandLine.Command Command)> Verbs(System.CommandLine.Command command, string path)
        => command.Subcommands.Count == 0 ? [(path.Trim(), command)] : command.Subcommands.SelectMany(c => Verbs(c, $"{path} {c.Name}"));
}

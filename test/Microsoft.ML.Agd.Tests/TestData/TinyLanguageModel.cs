using Microsoft.ML.Agd.Samples.Language;

namespace Microsoft.ML.Agd.Tests.TestData;

/// <summary>A small language model trained once for the tests that read one: its folder, its text and its tokenizer.</summary>
internal static class TinyLanguageModel
{
    private static readonly Lazy<string> s_folder = new(Train);

    /// <summary>The model folder, as agd lm train writes one (deleted when the test process ends).</summary>
    public static string Folder => s_folder.Value;

    /// <summary>The text it was trained on: a cycle through eight letters in a fixed order of steps.</summary>
    public static string Text { get; } = string.Concat(Enumerable.Range(0, 4_000).Select(i => (char)('a' + i * 3 % 8)));

    private static string Train()
    {
        string root = Directory.CreateTempSubdirectory("agd-lm").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(root, recursive: true);
        var settings = new LanguageModelSettings { Layers = 1, Heads = 2, Width = 16, Context = 8, BatchSize = 8, Iterations = 20, EvaluationInterval = 20, EvaluationBatches = 2, Seed = 3 };
        var tokenizer = TextTokenizer.Create("char", Text);
        var training = LanguageModelTraining.OfText(Text, tokenizer, settings);
        var model = training.InitialModel();
        var run = training.Train(model, new AgdOptimizer(model), "AGD", null, averageWeights: true);
        var folder = new LanguageModelFolder(Path.Combine(root, "lm"));
        folder.Write(model, tokenizer, "letters", run, AgdPlan.Of(model).Describe(), _ => { });
        return folder.Path;
    }
}

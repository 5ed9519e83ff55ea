using Microsoft.ML.Agd.Samples.Language;

namespace Microsoft.ML.Agd.Benchmarks;

/// <summary>
/// Section 11: what AGD's depth should be for a GPT. nanoGPT's CPU configuration of its character model on tiny
/// shakespeare, the same initial weights and batches for every row: the depth as published (the layer count), the depth
/// composed from the residual stream with attention adding one layer (the library's choice) or none, and the chosen depth
/// with every step doubled and quadrupled (how much step is left on the table). AdamW's grid is <c>agd lm compare</c>'s.
/// </summary>
internal static class LanguageModelBenchmark
{
    public static void Run(Report report, string textPath, int iterations)
    {
        report.Section("11. Language model: AGD's depth for a GPT", $"Validation loss (nats per character) after {iterations} iterations at nanoGPT's CPU configuration " +
            $"(4 layers, 4 heads, width 128, context 64, batch 12) on {Path.GetFileName(textPath)}; the same initial weights and batches for every row.");
        string text = TextCorpus.Read(textPath);
        var tokenizer = TextTokenizer.Create("char", text);
        var settings = new LanguageModelSettings { Iterations = iterations };
        var training = new LanguageModelTraining(TokenBatches.Split(tokenizer.Encode(text), settings.Context), tokenizer.VocabularySize, settings);
        var variants = new (string Name, Func<Models.Gpt, AgdOptimizer> Create)[]
        {
            ("L = layer count (published)", m => new AgdOptimizer(m, 1, o => o.Layers.Count)),
            ("composed L, attention adds 1 (chosen)", m => new AgdOptimizer(m)),
            ("composed L, attention adds 0", m => new AgdOptimizer(m, 1, o => DepthOps.Of(m, o.Layers.Count, attentionDepth: 0))),
            ("chosen L, gain 2", m => new AgdOptimizer(m, 2)),
            ("chosen L, gain 4", m => new AgdOptimizer(m, 4)),
        };
        var rows = new List<IReadOnlyList<string>>();
        foreach (var (name, create) in variants)
        {
            var model = training.InitialModel();
            var optimizer = create(model);
            var run = training.Train(model, optimizer, name, null);
            rows.Add([name, $"{optimizer.Depth:0.##}", run.Diverged ? "diverged" : $"{run.FinalValidationLoss:F3}", $"{run.Curve[^1].TrainLoss:F3}", $"{run.SecondsPerIteration * 1000:F1}"]);
            Console.WriteLine(string.Join(" | ", rows[^1]));
        }
        report.Table(["AGD variant", "L", "validation loss", "training loss", "ms per iteration"], rows);
    }
}

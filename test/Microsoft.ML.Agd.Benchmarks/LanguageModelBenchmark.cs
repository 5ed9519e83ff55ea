using Microsoft.ML.Agd.Samples.Language;

namespace Microsoft.ML.Agd.Benchmarks;

/// <summary>
/// Section 11: what AGD's depth and step norm should be for a GPT. nanoGPT's CPU configuration of its character model on
/// tiny shakespeare, the same initial weights and batches for every row: the depth as published (the layer count), the
/// depth composed from the residual stream with attention adding one layer (the experimental repository's count) or none
/// (the library's choice), each with Frobenius norms (published) and spectral norms (the library's default), and the
/// default with every step doubled (how much step is left on the table). A diagnostic, which is not an option of the
/// library, tests what else AdamW has: momentum. AdamW's grid is <c>agd lm compare</c>'s.
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
        var training = LanguageModelTraining.OfText(text, tokenizer, settings);
        AgdOptimizer Attention(Models.Gpt m, int depth, AgdStepNorm norm) => new(m, 1, o => DepthOps.Of(m, o.Layers.Count, attentionDepth: depth).Depth) { Norm = norm };
        var variants = new (string Name, Func<Models.Gpt, (AgdOptimizer Agd, IOptimizerStep Step)> Create)[]
        {
            ("L = layer count, Frobenius norms (published)", m => Plain(new AgdOptimizer(m, 1, o => o.Layers.Count) { Norm = AgdStepNorm.Frobenius })),
            ("composed L, attention adds 1 (experimental repository), Frobenius", m => Plain(Attention(m, 1, AgdStepNorm.Frobenius))),
            ("composed L, attention adds 0, Frobenius", m => Plain(Attention(m, 0, AgdStepNorm.Frobenius))),
            ("composed L, attention adds 1, spectral", m => Plain(Attention(m, 1, AgdStepNorm.Spectral))),
            ("composed L, attention adds 0, spectral (the library's default)", m => Plain(new AgdOptimizer(m))),
            ("default, gain 2", m => Plain(new AgdOptimizer(m, 2))),
            ("diagnostic: default, gradients averaged with momentum 0.9", m => WithMomentum(new AgdOptimizer(m), 0.9)),
        };
        var rows = new List<IReadOnlyList<string>>();
        foreach (var (name, create) in variants)
        {
            var model = training.InitialModel();
            var (agd, step) = create(model);
            var run = training.Train(model, step, name, null);
            rows.Add([name, $"{agd.Depth:0.##}", run.Diverged ? "diverged" : $"{run.FinalValidationLoss:F3}", $"{run.Curve[^1].TrainLoss:F3}", $"{run.SecondsPerIteration * 1000:F1}"]);
            Console.WriteLine(string.Join(" | ", rows[^1]));
        }
        report.Table(["AGD variant", "L", "validation loss", "training loss", "ms per iteration"], rows);
    }

    /// <summary>
    /// Section 14: GPT-2's 50,257 tokens, where the head's published scale sqrt(50,257 / 128) = 19.8 diverged. The head's
    /// step scale varied with everything else fixed (the library's rule is min(s, 1)), AdamW beside it.
    /// </summary>
    public static void OutputScale(Report report, string textPath, int iterations)
    {
        report.Section("14. Language model: the output layer's step with GPT-2's tokens", $"Validation loss (nats per token) after {iterations} iterations " +
            $"at nanoGPT's CPU configuration with GPT-2's tokens on {Path.GetFileName(textPath)}; the same initial weights and batches for every row.");
        string text = TextCorpus.Read(textPath);
        var training = LanguageModelTraining.OfText(text, TextTokenizer.Create("gpt2", text), new LanguageModelSettings { Iterations = iterations, EvaluationInterval = Math.Max(25, iterations / 8) });
        var rows = new List<IReadOnlyList<string>>();
        var variants = new[] { double.PositiveInfinity, 0.5, 1, 2, 4, 8 }.Select(cap => (
                Name: double.IsPositiveInfinity(cap) ? "head steps with s (published)" : FormattableString.Invariant($"head steps with min(s, {cap}){(cap == 1 ? " (the library's rule)" : "")}"),
                Create: (Func<Models.Gpt, IOptimizerStep>)(m => new AgdOptimizer(m) { ScaleOf = l => l.IsOutput ? Math.Min(l.Scale, cap) : l.Scale })))
            .Append(("head steps with min(s, 1), each embedding row with eta / L of its initial norm", m => new AgdOptimizer(m)
            {
                ScaleOf = l => l.IsEmbedding && l.Weight.shape[0] > l.Weight.shape[1] ? l.Scale * Math.Sqrt((double)l.Weight.shape[1] / l.Weight.shape[0]) : l.StepScale,
            }))
            .Concat(new[] { 1e-3, 3e-4 }.Select(lr => (Name: FormattableString.Invariant($"AdamW {lr}, nanoGPT's schedule"), Create: (Func<Models.Gpt, IOptimizerStep>)(m => new NanoGptAdamW(m, lr, iterations)))));
        foreach (var (name, create) in variants)
        {
            var model = training.InitialModel();
            var run = training.Train(model, create(model), name, null);
            string curve = string.Join(", ", run.Curve.Select(p => FormattableString.Invariant($"{p.Iteration}: {p.ValidationLoss:F2}")));
            rows.Add([name, run.Diverged ? "diverged" : $"{run.FinalValidationLoss:F3}", curve]);
            Console.WriteLine(string.Join(" | ", rows[^1]));
        }
        report.Table(["optimizer", "validation loss", "validation loss along the run"], rows);
    }

    private static (AgdOptimizer, IOptimizerStep) Plain(AgdOptimizer agd) => (agd, agd);

    // Each gradient replaced by its exponential average over steps before AGD reads it.
    private static (AgdOptimizer, IOptimizerStep) WithMomentum(AgdOptimizer agd, double beta)
    {
        var velocity = new Dictionary<TorchSharp.Modules.Parameter, TorchSharp.torch.Tensor>();
        var parameters = agd.Layers.SelectMany(l => l.Members.Select(m => m.Parameter).Prepend(l.Weight)).ToList();
        return (agd, new Step(agd.ZeroGrad, () =>
        {
            using (TorchSharp.torch.no_grad())
                foreach (var p in parameters.Where(p => p.grad is not null))
                {
                    if (velocity.TryGetValue(p, out var v))
                        v.mul_(beta).add_(p.grad!, alpha: 1 - beta);
                    else
                        velocity[p] = p.grad!.clone().DetachFromDisposeScope();
                    p.grad!.copy_(velocity[p]);
                }
            return agd.Step();
        }));
    }

    private sealed class Step(Action zeroGrad, Func<double> step) : IOptimizerStep
    {
        void IOptimizerStep.ZeroGrad() => zeroGrad();

        double IOptimizerStep.Step() => step();
    }
}

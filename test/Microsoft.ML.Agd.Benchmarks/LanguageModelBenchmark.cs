using Microsoft.ML.Agd.Samples.Language;

namespace Microsoft.ML.Agd.Benchmarks;

/// <summary>
/// Section 11: what AGD's depth and step norm should be for a GPT. nanoGPT's CPU configuration of its character model on
/// tiny shakespeare, the same initial weights and batches for every row: the depth as published (the layer count), the
/// depth composed from the residual stream with attention adding one layer (the experimental repository's count) or none
/// (the library's choice), each with Frobenius norms (published) and spectral norms (the library's default), and the
/// default with every step doubled (how much step is left on the table), and the library's training, which ends with the
/// weights averaged over the last tenth of the iterations. Diagnostics, which are not options of the library, test what
/// else AdamW has: momentum. AdamW's grid is <c>agd lm compare</c>'s. Then how far each kind of layer
/// moves per step under AGD and under AdamW at its best grid point (<see cref="StepSizes"/>).
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
        var variants = new (string Name, Func<Models.Gpt, (AgdOptimizer Agd, TorchSharp.torch.optim.Optimizer Step)> Create, bool Averaged)[]
        {
            ("L = layer count, Frobenius norms (published)", m => Plain(new AgdOptimizer(AgdPlan.Published(m)) { Norm = AgdStepNorm.Frobenius }), false),
            ("composed L, attention adds 1 (experimental repository), Frobenius", m => Plain(Attention(m, 1, AgdStepNorm.Frobenius)), false),
            ("composed L, attention adds 0, Frobenius", m => Plain(Attention(m, 0, AgdStepNorm.Frobenius)), false),
            ("composed L, attention adds 1, spectral", m => Plain(Attention(m, 1, AgdStepNorm.Spectral)), false),
            ("composed L, attention adds 0, spectral (the library's step)", m => Plain(new AgdOptimizer(m)), false),
            ("the library's step, weights averaged over the last tenth (the library's training)", m => Plain(new AgdOptimizer(m)), true),
            ("the library's step, gain 2", m => WithGain(new AgdOptimizer(m), 2), false),
            ("diagnostic: gradients averaged with momentum 0.9", m => WithMomentum(new AgdOptimizer(m), 0.9, nesterov: false), false),
            ("diagnostic: Nesterov momentum 0.9", m => WithMomentum(new AgdOptimizer(m), 0.9, nesterov: true), false),
            ("diagnostic: Nesterov momentum 0.9, weights averaged over the last tenth", m => WithMomentum(new AgdOptimizer(m), 0.9, nesterov: true), true),
        };
        var rows = new List<IReadOnlyList<string>>();
        foreach (var (name, create, averaged) in variants)
        {
            var model = training.InitialModel();
            var (agd, step) = create(model);
            var run = training.Train(model, step, name, null, averaged);
            rows.Add([name, $"{agd.Plan.Depth:0.##}", run.Diverged ? "diverged" : $"{run.FinalValidationLoss:F3}", $"{run.Curve[^1].TrainLoss:F3}", $"{run.SecondsPerIteration * 1000:F1}"]);
            Console.WriteLine(string.Join(" | ", rows[^1]));
        }
        report.Table(["AGD variant", "L", "validation loss", "training loss", "ms per iteration"], rows);
        StepSizes(report, training);
    }

    /// <summary>
    /// How far each kind of layer moves per step under AGD's default and under AdamW at its best grid point (3e-3): the
    /// update's spectral norm over the weight's (for embeddings, each row's change over the row's norm, averaged over rows)
    /// and the update's stable rank, ||dW||_F^2 / ||dW||_2^2, over every 20th step from step 100 on, averaged over the layers
    /// of a kind. Tells a step that is too small from one that points along too few directions.
    /// </summary>
    private static void StepSizes(Report report, LanguageModelTraining training)
    {
        var runs = new (string Name, Func<Models.Gpt, TorchSharp.torch.optim.Optimizer> Create)[]
        {
            ("AGD (default)", m => new AgdOptimizer(m)),
            ("AdamW 3e-3, nanoGPT's schedule", m => new NanoGptAdamW(m, 3e-3, training.Settings.Iterations)),
        };
        var columns = new List<Dictionary<string, (double Change, double Rank)>>();
        foreach (var (name, create) in runs)
        {
            var model = training.InitialModel();
            var probe = new StepProbe(create(model), AgdPlan.Of(model).Layers);
            var run = training.Train(model, probe.Optimizer, name, null, averageWeights: false);
            columns.Add(probe.Means());
            Console.WriteLine($"{name}: validation loss {run.FinalValidationLoss:F3}");
        }
        var rows = columns[0].Keys.Select(kind => (IReadOnlyList<string>)[kind,
            .. columns.SelectMany(c => new[] { $"{c[kind].Change:0.0000}", $"{c[kind].Rank:0.0}" })]).ToList();
        report.Table(["layer kind", "AGD: relative change per step", "AGD: update's stable rank", "AdamW: relative change per step", "AdamW: update's stable rank"], rows);
    }

    // Wraps an optimizer; every 20th step from step 100 on, measures each layer's update against the weight before it.
    private sealed class StepProbe
    {
        private const int Every = 20, From = 100;
        private readonly Dictionary<string, List<(double Change, double Rank)>> _samples = [];
        private int _steps;

        public StepProbe(TorchSharp.torch.optim.Optimizer inner, IReadOnlyList<AgdLayer> layers)
            => Optimizer = new Tests.TestData.ActionOptimizer(inner.parameters(), () =>
            {
                bool measure = ++_steps >= From && _steps % Every == 0;
                using var scope = TorchSharp.torch.NewDisposeScope();
                var before = measure ? layers.Select(l => l.Weight.detach().to(TorchSharp.torch.float64)).ToList() : null;
                inner.step();
                for (int k = 0; measure && k < layers.Count; k++)
                    Add(layers[k], before![k], layers[k].Weight.detach().to(TorchSharp.torch.float64) - before[k]);
            });

        /// <summary>The inner optimizer with the probe after each step.</summary>
        public TorchSharp.torch.optim.Optimizer Optimizer { get; }

        private void Add(AgdLayer layer, TorchSharp.torch.Tensor weight, TorchSharp.torch.Tensor update)
        {
            double spectral = TorchSharp.torch.linalg.matrix_norm(update, 2).item<double>();
            double change = layer.IsEmbedding ? (update.norm(1) / weight.norm(1)).mean().item<double>() : spectral / TorchSharp.torch.linalg.matrix_norm(weight, 2).item<double>();
            double rank = spectral > 0 ? Math.Pow(update.norm().item<double>() / spectral, 2) : 0;
            string kind = System.Text.RegularExpressions.Regex.Replace(layer.Name, @"^blocks\.\d+\.|\.weight$", "");
            if (!_samples.TryGetValue(kind, out var list))
                _samples[kind] = list = [];
            list.Add((change, rank));
        }

        public Dictionary<string, (double Change, double Rank)> Means()
            => _samples.ToDictionary(s => s.Key, s => (s.Value.Average(v => v.Change), s.Value.Average(v => v.Rank)));
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
                Create: (Func<Models.Gpt, TorchSharp.torch.optim.Optimizer>)(m => new AgdOptimizer(AgdPlan.Of(m).WithStepScales(l => l.IsOutput ? Math.Min(l.Scale, cap) : l.Scale)))))
            .Append(("head steps with min(s, 1), each embedding row with eta / L of its initial norm", m => new AgdOptimizer(AgdPlan.Of(m).WithStepScales(
                l => l.IsEmbedding && l.Weight.shape[0] > l.Weight.shape[1] ? l.Scale * Math.Sqrt((double)l.Weight.shape[1] / l.Weight.shape[0]) : l.StepScale))))
            .Concat(new[] { 1e-3, 3e-4 }.Select(lr => (Name: FormattableString.Invariant($"AdamW {lr}, nanoGPT's schedule"), Create: (Func<Models.Gpt, TorchSharp.torch.optim.Optimizer>)(m => new NanoGptAdamW(m, lr, iterations)))));
        foreach (var (name, create) in variants)
        {
            var model = training.InitialModel();
            var run = training.Train(model, create(model), name, null, averageWeights: false);
            string curve = string.Join(", ", run.Curve.Select(p => FormattableString.Invariant($"{p.Iteration}: {p.ValidationLoss:F2}")));
            rows.Add([name, run.Diverged ? "diverged" : $"{run.FinalValidationLoss:F3}", curve]);
            Console.WriteLine(string.Join(" | ", rows[^1]));
        }
        report.Table(["optimizer", "validation loss", "validation loss along the run"], rows);
    }

    /// <summary>
    /// Section 16: what attention adds to the depth, measured with the library's training as it is (spectral norms, the
    /// weights averaged over the last tenth) on several seeds, AdamW at its best grid point beside it. Section 11 chose
    /// "adds nothing" with Frobenius norms and one seed; the choice is checked here under the step the library takes now.
    /// </summary>
    public static void AttentionDepth(Report report, string textPath, int iterations, IReadOnlyList<int> seeds)
    {
        report.Section("16. Language model: attention's depth with the library's training", $"Validation loss (nats per character) after {iterations} iterations " +
            $"at nanoGPT's CPU configuration on {Path.GetFileName(textPath)}; AGD with spectral norms and the weights averaged over the last tenth; one run per seed and row.");
        string text = TextCorpus.Read(textPath);
        var tokenizer = TextTokenizer.Create("char", text);
        var rows = new List<IReadOnlyList<string>>();
        foreach (int seed in seeds)
        {
            var training = LanguageModelTraining.OfText(text, tokenizer, new LanguageModelSettings { Iterations = iterations, Seed = seed });
            var variants = new (string Name, Func<Models.Gpt, TorchSharp.torch.optim.Optimizer> Create, bool Averaged)[]
            {
                ("AGD, attention adds 0 (the library's)", m => Attention(m, 0), true),
                ("AGD, attention adds 1 (the experimental repository's)", m => Attention(m, 1), true),
                ("AdamW 3e-3, nanoGPT's schedule", m => new NanoGptAdamW(m, 3e-3, iterations), false),
            };
            foreach (var (name, create, averaged) in variants)
            {
                var model = training.InitialModel();
                var run = training.Train(model, create(model), name, null, averaged);
                rows.Add([$"{seed}", name, run.Diverged ? "diverged" : $"{run.FinalValidationLoss:F3}", $"{run.Curve[^1].TrainLoss:F3}", $"{run.SecondsPerIteration * 1000:F1}"]);
                Console.WriteLine(string.Join(" | ", rows[^1]));
            }
        }
        report.Table(["seed", "optimizer", "validation loss", "training loss", "ms per iteration"], rows);
    }

    // AGD with attention adding <paramref name="depth"/> to the depth (the library's count adds 0).
    private static AgdOptimizer Attention(Models.Gpt m, int depth, AgdStepNorm norm = AgdStepNorm.Spectral)
        => new(AgdPlan.Of(m, attentionDepth: depth)) { Norm = norm };

    private static (AgdOptimizer, TorchSharp.torch.optim.Optimizer) Plain(AgdOptimizer agd) => (agd, agd);

    private static (AgdOptimizer, TorchSharp.torch.optim.Optimizer) WithGain(AgdOptimizer agd, double gain) => (agd, StepVariants.WithGain(agd, gain));

    private static (AgdOptimizer, TorchSharp.torch.optim.Optimizer) WithMomentum(AgdOptimizer agd, double beta, bool nesterov) => (agd, StepVariants.WithMomentum(agd, beta, nesterov));
}

using Microsoft.ML.Agd.Optim;
using Microsoft.ML.Agd.Samples.Charts;
using Microsoft.ML.Agd.Samples.Jobs;
using Microsoft.ML.Agd.Samples.Language;
namespace Microsoft.ML.Agd.Samples.Cli;

/// <summary><c>agd lm train | generate | compare</c>: a GPT trained on a text with AGD, its text, and AGD against AdamW's grid.</summary>
internal static class LanguageModelCommand
{
    private const int SampleLength = 500;

    public static System.CommandLine.Command Create() => new("lm", "Train a GPT language model on a UTF-8 text with AGD (no learning rate), generate text from it, or compare AGD with AdamW.")
    {
        Train(), Generate(), Compare(),
    };

    private static System.CommandLine.Command Train()
    {
        var options = new LanguageModelOptions();
        var output = CliOptions.Output("agd-lm");
        var config = CliOptions.Config();
        var command = new System.CommandLine.Command("train", "Train a GPT with AGD and write model.bin, model.json, layers.txt, curves.png, sample.txt, run.json (replay it with --config) and report.html.") { output, config };
        options.AddTo(command);
        command.SetAction(result => CliOptions.Guard(() => StopSignals.Stoppable(cancellation =>
        {
            var folder = new LanguageModelFolder(result.GetValue(output)!);
            string? replay = result.GetValue(config);
            var (training, tokenizer, text, configuration) = JobRanks.Together(() =>
            {
                if (JobRanks.IsFirst) // the job's other ranks train with it and write nothing
                    folder.CheckWritable();
                if (replay is not null)
                    CliOptions.CheckAloneWithConfig(result);
                var read = replay is null ? options.Read(result) : LanguageModelOptions.Replay(replay);
                if (JobRanks.IsFirst)
                    OutputFolder.CheckHoldsNoInput(folder.Path, "-o", read.Text, "language-model folder");
                return read;
            });
            if (replay is not null)
                foreach (string note in RunFile.ReplayNotes(text, configuration.Ran))
                    AnsiConsole.MarkupLine(Markup.Escape(note));
            JobRanks.AgreeOnRun(configuration.TextFingerprint, configuration);
            var model = training.InitialModel();
            using var agd = new AgdOptimizer(model);
            AnsiConsole.MarkupLine(Markup.Escape($"{text}: {tokenizer.VocabularySize} tokens in the vocabulary ({tokenizer.Kind}). {agd.Plan.Describe().Split('\n')[0].Trim()}.{(JobRanks.Current is { Size: > 1 } job ? $" Training across {job.Size} ranks." : "")} Ctrl+C stops and saves the model as it is (averaged over the last tenth's steps taken, if any)."));
            var run = WithProgress(training, progress => training.Train(model, agd, "AGD", null, averageWeights: true, progress, cancellation, JobRanks.Current));
            // An untrained network is not a model anyone wants, and must never replace one.
            if (run.Curve[^1].Iteration == 0)
                throw Stopped.Before("Stopped before the first step", "model", folder.Path);
            if (run.Diverged)
                throw Diverged(run, tokenizer);
            if (!JobRanks.IsFirst)
                return 0;
            var samples = LanguageModelReport.Temperatures.Select(t => (t, TextGeneration.Sample(model, tokenizer, SampleLength, training.Settings.Seed, t))).ToList();
            string sample = samples.Single(s => s.t == 0.8).Item2;
            folder.Write(model, tokenizer, text, run, agd.Plan.Describe(), staging =>
            {
                LanguageModelComparison.Plot([run], "GPT trained with AGD: validation loss", staging.File("curves.png"));
                File.WriteAllText(staging.File("sample.txt"), sample);
                ModelFolder.WriteJson(staging.File(RunFile.FileName), configuration);
                var last = run.Curve[^1];
                var summary = new[] { ("validation loss", $"{last.ValidationLoss:F3} nats per token"), ("training loss", $"{last.TrainLoss:F3} nats per token"),
                    ("iterations", $"{last.Iteration} ({run.SecondsPerIteration * 1000:F1} ms each)"), ("text", $"{text} ({tokenizer.VocabularySize} tokens in the vocabulary, {tokenizer.Kind})") };
                File.WriteAllText(staging.File(ReportPage.FileName), LanguageModelReport.Html($"GPT trained with AGD on {Path.GetFileName(text)}", summary,
                    File.ReadAllBytes(staging.File("curves.png")), samples, agd.Plan.Describe(), File.ReadAllText(staging.File(RunFile.FileName))));
            });
            var last = run.Curve[^1];
            AnsiConsole.MarkupLine(Markup.Escape($"Iteration {last.Iteration}: training loss {last.TrainLoss:F3}, validation loss {last.ValidationLoss:F3} nats per token; {run.SecondsPerIteration * 1000:F1} ms per iteration."));
            AnsiConsole.MarkupLine($"Wrote the model to {Markup.Escape(folder.Path)}. A sample:");
            Console.WriteLine(sample);
            return 0;
        })));
        return command;
    }

    /// <summary>
    /// The error of a diverged run, with advice that fits its tokens: with GPT-2's, small models diverge; with characters, a
    /// long run on a small text climbs back from its best point.
    /// </summary>
    internal static TrainingDivergedException Diverged(LanguageModelRun run, TextTokenizer tokenizer)
    {
        var best = run.Curve.Where(p => double.IsFinite(p.ValidationLoss)).MinBy(p => p.ValidationLoss);
        string advice = tokenizer.Kind != "char"
            ? "With GPT-2's tokens AGD diverges on small models (docs/research/language-model.md); use --tokens char."
            : best is null || best.Iteration == 0
                ? "Its validation loss never fell below its start: give a larger model (--width, --layers) or more text."
                : $"Its validation loss was lowest ({best.ValidationLoss:F3}) at iteration {best.Iteration}: give --iterations {best.Iteration} or fewer, or train on more text.";
        return new TrainingDivergedException($"Training diverged by iteration {run.Curve[^1].Iteration}: the loss became NaN or infinite, or the validation loss " +
            $"rose above its start ({run.Curve[0].ValidationLoss:F3}, now {run.Curve[^1].ValidationLoss:F3}); no model was written. {advice}");
    }

    private static System.CommandLine.Command Generate()
    {
        var model = new Option<string>("--model", "-m") { Description = "A folder written by 'agd lm train'.", DefaultValueFactory = _ => "agd-lm" };
        var prompt = new Option<string>("--prompt", "-p") { Description = "The text to continue.", DefaultValueFactory = _ => "\n" };
        var length = new Option<int>("--length", "-n") { Description = "Tokens to generate.", DefaultValueFactory = _ => SampleLength };
        var temperature = new Option<double>("--temperature") { Description = "Softmax temperature: 1 samples the model as it is, lower is more conservative.", DefaultValueFactory = _ => 0.8, CustomParser = CliOptions.Number };
        var seed = new Option<int>("--seed") { Description = "Seed of the sampling: the same seed, prompt and model give the same text.", DefaultValueFactory = _ => 0 };
        var command = new System.CommandLine.Command("generate", "Continue a prompt with a trained language model.") { model, prompt, length, temperature, seed };
        command.SetAction(result => CliOptions.Guard(() =>
        {
            var (gpt, tokenizer, _) = new LanguageModelFolder(result.GetValue(model)!, "-m").Load();
            string start = result.GetValue(prompt)!;
            var prompted = tokenizer.Encode(start);
            // Printed as it is drawn, a whole character at a time (a GPT-2 token can end inside one).
            var drawn = new List<int>();
            int printed = 0;
            void Print(bool last)
            {
                string text = tokenizer.Decode(drawn.Skip(printed));
                if (!last && text.EndsWith('\uFFFD'))
                    return;
                Console.Write(text);
                printed = drawn.Count;
            }
            Console.Write(start);
            TextGeneration.Continue(gpt, prompted, result.GetValue(length), result.GetValue(temperature), result.GetValue(seed), id =>
            {
                drawn.Add(id);
                Print(last: false);
            });
            Print(last: true);
            Console.WriteLine();
            return 0;
        }));
        return command;
    }

    private static System.CommandLine.Command Compare()
    {
        var options = new LanguageModelOptions();
        var output = CliOptions.Output("agd-lm-compare");
        var command = new System.CommandLine.Command("compare",
            "Train the same GPT with AGD once and with AdamW (nanoGPT's warm-up and cosine schedule) at peak learning rates 1e-4 to 1e-2, on the same batches; write compare.md and compare.png.") { output };
        options.AddTo(command);
        command.SetAction(result => CliOptions.Guard(() => StopSignals.Stoppable(cancellation =>
        {
            string folder = OutputFolder.Normalize(result.GetValue(output), "-o");
            CompareJob.CheckOutput(folder, languageModels: true);
            var (training, tokenizer, text, _) = options.Read(result);
            OutputFolder.CheckHoldsNoInput(folder, "-o", text, "comparison folder");
            AnsiConsole.MarkupLine(Markup.Escape($"{text}: comparing AGD with AdamW at {LanguageModelComparison.Grid.Count} learning rates, {training.Settings.Iterations} iterations each; " +
                "Ctrl+C stops and writes nothing."));
            var runs = Stopped.NothingWritten(folder, "Stopped before the comparison ended", "comparison", () =>
            {
                var all = LanguageModelComparison.Run(training, run => AnsiConsole.MarkupLine(Markup.Escape(
                    $"  {run.Name}: validation loss {(run.Diverged ? "diverged" : run.FinalValidationLoss.ToString("F3"))}, {run.SecondsPerIteration * 1000:F1} ms per iteration")), cancellation);
                cancellation.ThrowIfCancellationRequested(); // the last run was stopped part-way: a comparison is whole or not at all
                return all;
            });
            string table = LanguageModelComparison.ToMarkdown(runs);
            OutputFolder.WriteWhole(folder, staging =>
            {
                File.WriteAllText(Path.Combine(staging, "compare.md"), table + Environment.NewLine);
                LanguageModelComparison.Plot(runs, $"GPT on {Path.GetFileName(text)}: AGD against AdamW's grid", Path.Combine(staging, "compare.png"));
            });
            Console.WriteLine(table);
            AnsiConsole.MarkupLine($"Wrote compare.md and compare.png to {Markup.Escape(folder)}.");
            return 0;
        })));
        return command;
    }

    private static LanguageModelRun WithProgress(LanguageModelTraining training, Func<Action<int, LossPoint?>, LanguageModelRun> train)
    {
        LanguageModelRun? run = null;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask("training", maxValue: training.Settings.Iterations);
                run = train((iteration, point) =>
                {
                    task.Value = iteration;
                    if (point is not null)
                        task.Description = Markup.Escape($"iteration {point.Iteration}: train {point.TrainLoss:F3} val {point.ValidationLoss:F3}");
                });
                task.Value = task.MaxValue;
            });
        return run!;
    }
}

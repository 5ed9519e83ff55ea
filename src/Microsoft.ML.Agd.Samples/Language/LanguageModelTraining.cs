using Microsoft.ML.Agd.Models;
using Microsoft.ML.Agd.Optim;
using Microsoft.ML.Agd.Training;
using System.Diagnostics;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Samples.Language;

/// <summary>A GPT's shape and its training run; the defaults are nanoGPT's CPU configuration of its character model.</summary>
internal sealed record LanguageModelSettings
{
    public int Layers { get; init; } = 4;
    public int Heads { get; init; } = 4;
    public int Width { get; init; } = 128;
    public int Context { get; init; } = 64;
    public int BatchSize { get; init; } = 12;
    public int Iterations { get; init; } = 2000;
    /// <summary>Iterations between two estimates of the training and validation loss.</summary>
    public int EvaluationInterval { get; init; } = 250;
    /// <summary>Batches each estimate averages (nanoGPT's eval_iters).</summary>
    public int EvaluationBatches { get; init; } = 20;
    public int Seed { get; init; } = 1337;

    /// <summary>
    /// Checks every value, naming the option of one that is out of range, or with <paramref name="fields"/> its run.json
    /// field ("its Layers").
    /// </summary>
    public void Validate(bool fields = false)
    {
        string Name(string field, string option) => fields ? $"its {field}" : option;
        foreach (var (value, field, option) in new[] { (Layers, nameof(Layers), "--layers"), (Heads, nameof(Heads), "--heads"), (Width, nameof(Width), "--width"),
                                                        (Context, nameof(Context), "--context"), (BatchSize, nameof(BatchSize), "--batch-size"), (Iterations, nameof(Iterations), "--iterations"),
                                                        (EvaluationInterval, nameof(EvaluationInterval), "--eval-interval"), (EvaluationBatches, nameof(EvaluationBatches), "--eval-batches") })
            if (value < 1)
                throw new ArgumentOutOfRangeException(option, value, $"{Name(field, option)} must be at least 1.");
        if (Width % Heads != 0)
            throw new ArgumentOutOfRangeException("--heads", Heads, $"{Name(nameof(Heads), "--heads")} ({Heads}) must divide {Name(nameof(Width), "--width")} ({Width}) evenly.");
    }

    /// <summary>
    /// Checks that the GPT and a batch fit this machine's memory, before the text is tokenized or a weight made: its
    /// weights (12 L w^2 in the blocks, (2 vocabulary + context) w in the embeddings and the head) about six times over
    /// (gradients, AdamW's or the average's copies), and a batch's activations (about 20 w per token per block, the
    /// attention's context per head and token, the logits' vocabulary per token).
    /// </summary>
    /// <exception cref="ArgumentException">They do not; the message gives the sizes and the options to lower.</exception>
    public void CheckMemory(int vocabularySize)
    {
        double available = TrainingMemory.Available;
        double parameters = 12.0 * Layers * Width * Width + (2.0 * vocabularySize + Context) * Width;
        if (6 * 4 * parameters > available)
            throw new ArgumentException($"A GPT of {Layers} layers, width {Width} and context {Context} would have {parameters:G3} parameters, " +
                $"{6 * 4 * parameters / 1e9:G3} GB with the copies training keeps, more than {TrainingMemory.Memory}. Make --width, --layers or --context smaller.");
        double activations = 4.0 * BatchSize * Context * (20.0 * Width * Layers + (double)Heads * Context * Layers + 2.0 * vocabularySize);
        if (activations > available)
            throw new ArgumentException($"A batch of {BatchSize} windows of {Context} tokens needs about {activations / 1e9:G3} GB " +
                $"for its activations, more than {TrainingMemory.Memory}. Make --batch-size or --context smaller.");
    }
}

/// <summary>The training and validation loss estimated after an iteration.</summary>
internal sealed record LossPoint(int Iteration, double TrainLoss, double ValidationLoss);

/// <summary>One optimizer's run: its loss curve, seconds per iteration (evaluations left out), and whether it diverged.</summary>
internal sealed record LanguageModelRun(string Optimizer, double? LearningRate, IReadOnlyList<LossPoint> Curve, double SecondsPerIteration, bool Diverged)
{
    /// <summary>"AGD", or the optimizer and its peak learning rate.</summary>
    public string Name => LearningRate is { } lr ? FormattableString.Invariant($"{Optimizer} lr={lr:0.#####}") : Optimizer;

    /// <summary>The last validation loss (NaN once diverged).</summary>
    public double FinalValidationLoss => Diverged || Curve.Count == 0 ? double.NaN : Curve[^1].ValidationLoss;
}

/// <summary>
/// Trains a GPT on a tokenized text with any optimizer on equal terms: the same initial weights (AGD's, for the seed),
/// the same batches in the same order, and the same fixed batches to estimate the losses on.
/// </summary>
internal sealed class LanguageModelTraining(TokenBatches data, int vocabularySize, LanguageModelSettings settings)
{
    /// <summary>The training on a text: its tokens, split as nanoGPT splits them (<see cref="TokenBatches.Split"/>).</summary>
    /// <exception cref="InvalidDataException">The text is too short for the context; the message says how long it must be.</exception>
    /// <exception cref="ArgumentException">The GPT or a batch does not fit in memory (<see cref="LanguageModelSettings.CheckMemory"/>).</exception>
    public static LanguageModelTraining OfText(string text, TextTokenizer tokenizer, LanguageModelSettings settings)
    {
        settings.CheckMemory(tokenizer.VocabularySize);
        return new(TokenBatches.Split(tokenizer.Encode(text), settings.Context), tokenizer.VocabularySize, settings);
    }

    /// <summary>The settings.</summary>
    public LanguageModelSettings Settings => settings;

    /// <summary>A fresh GPT with AGD's initial weights for the seed.</summary>
    public Gpt InitialModel()
    {
        var model = new Gpt(vocabularySize, settings.Context, settings.Layers, settings.Heads, settings.Width);
        AgdInitialization.Apply(model, new Generator((ulong)settings.Seed));
        return model;
    }

    /// <summary>
    /// Trains <paramref name="model"/> for the settings' iterations through the image trainer's loop (<see cref="TrainingLoop"/>,
    /// a pass being the iterations between two estimates), estimating the losses at the start, every interval and at the
    /// end. A loss that is not finite, or a validation loss that rises above where it started (a model worse than its
    /// random initialisation), ends the run as diverged. Cancelling stops after the current iteration, with the losses
    /// estimated there. With <paramref name="averageWeights"/> (AGD's runs), the model ends with its weights averaged
    /// over the last tenth of the iterations (<see cref="IterateAverage"/>): the last estimate is the average's.
    /// </summary>
    /// <param name="ranks">The ranks that train the model together (each computes its part of every batch), or null.</param>
    public LanguageModelRun Train(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer, string name, double? learningRate, bool averageWeights,
        Action<int, LossPoint?>? progress = null, CancellationToken cancellation = default, AgdCommunicator? ranks = null)
    {
        // Across ranks every estimate runs whole, so that all ranks decide alike; a stop reaches them at the next step.
        var estimates = ranks is null ? cancellation : CancellationToken.None;
        var curve = new List<LossPoint> { Estimate(model, 0, estimates) };
        progress?.Invoke(0, curve[0]);
        var rounds = new TokenRounds(data, settings);
        int iteration = 0;
        var clock = new Stopwatch();
        // The noise-discounted step (AgdOptimizer.SignalShare) is the image trainer's; it measured worse on the GPT
        // (docs/research/large-batches.md, section 7), so the language model does not measure the noise.
        var loop = new TrainingLoop(model, optimizer, AgdLoss.CrossEntropy, settings.BatchSize, CPU, new Generator((ulong)settings.Seed))
        {
            AverageWeights = averageWeights, MeasureNoise = false, KeepStoppedPass = true, RunRows = rounds.RunRows, Ranks = ranks,
            StepTaken = () =>
            {
                iteration++;
                progress?.Invoke(iteration, null);
            },
        };
        void Estimated(AgdEpoch _)
        {
            clock.Stop(); // estimates are not training time
            curve.Add(Estimate(model, iteration, estimates));
            progress?.Invoke(iteration, curve[^1]);
            if (!(curve[^1].ValidationLoss <= curve[0].ValidationLoss)) // above the start, or not a number
                throw new TrainingDivergedException($"The validation loss rose to {curve[^1].ValidationLoss} from {curve[0].ValidationLoss}.");
            clock.Start();
        }
        bool diverged = false;
        clock.Start();
        try
        {
            loop.Run(rounds, null, 0, rounds.Count, Estimated, cancellation);
        }
        catch (TrainingDivergedException)
        {
            diverged = true;
        }
        return new(name, learningRate, curve, clock.Elapsed.TotalSeconds / Math.Max(1, iteration), diverged);
    }

    /// <summary>The mean next-token cross-entropy of a batch, in nats per token.</summary>
    public static Tensor Loss(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor targets)
    {
        var logits = model.call(inputs);
        return nn.functional.cross_entropy(logits.view(-1, logits.shape[^1]), targets.view(-1));
    }

    /// <summary>
    /// The training and validation losses on fixed batches (the same for every run and every estimate); a cancelled one
    /// ends early, on the batches read so far.
    /// </summary>
    public LossPoint Estimate(nn.Module<Tensor, Tensor> model, int iteration, CancellationToken cancellation = default)
    {
        using var noGrad = no_grad();
        model.eval();
        double Mean(int[] tokens, int seed)
        {
            var batches = data.Starts(tokens, settings.EvaluationBatches, settings.BatchSize, new Random(seed));
            return batches.TakeWhile((_, i) => i == 0 || !cancellation.IsCancellationRequested).Average(starts =>
            {
                using var scope = NewDisposeScope();
                var (inputs, targets) = data.Batch(tokens, starts);
                return (double)Loss(model, inputs, targets).item<float>();
            });
        }
        return new(iteration, Mean(data.Train, settings.Seed + 1), Mean(data.Validation, settings.Seed + 2));
    }
}

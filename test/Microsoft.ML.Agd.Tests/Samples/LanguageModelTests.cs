using Microsoft.ML.Agd.Samples.Language;

namespace Microsoft.ML.Agd.Tests.Samples;

// agd lm draws a progress display on the one console, which cannot show two at once.
[DoNotParallelize]
[TestClass]
public class LanguageModelTests
{
    private static readonly LanguageModelSettings s_small = new()
    {
        Layers = 1, Heads = 2, Width = 32, Context = 16, BatchSize = 16, Iterations = 300, EvaluationInterval = 100, EvaluationBatches = 8, Seed = 5,
    };

    // A text from a Markov chain over 8 letters: each letter is followed by the next or the one after, with equal odds.
    // Every letter is as frequent as any other (unigram entropy ln 8 = 2.08 nats), but a model that reads the last letter
    // needs only ln 2 = 0.69 nats.
    private static string MarkovText(int length, int seed)
    {
        var random = new Random(seed);
        var text = new char[length];
        int letter = 0;
        for (int i = 0; i < length; i++)
        {
            text[i] = (char)('a' + letter);
            letter = (letter + 1 + random.Next(2)) % 8;
        }
        return new string(text);
    }

    private static double UnigramEntropy(string text)
        => -text.GroupBy(c => c).Select(g => (double)g.Count() / text.Length).Sum(p => p * Math.Log(p));

    [TestMethod]
    public void AFewHundredAgdStepsLearnFarBelowTheUnigramEntropy()
    {
        string text = MarkovText(20_000, seed: 1);
        var training = LanguageModelTraining.OfText(text, TextTokenizer.Create("char", text), s_small);
        var model = training.InitialModel();
        var run = training.Train(model, new AgdOptimizer(model), "AGD", null, averageWeights: true);

        double entropy = UnigramEntropy(text);
        Assert.AreEqual(Math.Log(8), entropy, 0.01);
        Assert.IsFalse(run.Diverged);
        Assert.AreEqual(4, run.Curve.Count, "estimates at 0, 100, 200 and 300");
        Assert.AreEqual(entropy, run.Curve[0].ValidationLoss, 0.35, "an untrained model is about as good as guessing letters by frequency");
        Assert.IsTrue(run.FinalValidationLoss < 0.5 * (entropy + Math.Log(2)), $"validation loss {run.FinalValidationLoss:F3}, unigram entropy {entropy:F3}, the chain's ln 2");
    }

    // A step that makes the model worse: every weight gets noise twice its initial scale.
    private static ActionOptimizer Scramble(Gpt model) => new(model.parameters(), () =>
    {
        foreach (var p in model.parameters())
            p.add_(TorchSharp.torch.randn_like(p).mul(2));
    });

    // Moves every parameter by the same amount each step: after step t the weights are the initial ones plus t times it.
    private static ActionOptimizer Drift(Gpt model, float amount) => new(model.parameters(), () =>
    {
        foreach (var p in model.parameters())
            p.add_(amount);
    });

    [TestMethod]
    [DataRow(false, 0.2)]
    [DataRow(true, 0.195)] // the mean of steps 19 and 20, the last tenth of 20
    public void AveragedRunsEndWithTheMeanOfTheirLastTenth(bool averaged, double shift)
    {
        string text = MarkovText(6_000, seed: 3);
        var training = LanguageModelTraining.OfText(text, TextTokenizer.Create("char", text), s_small with { Iterations = 20, EvaluationInterval = 20 });
        var model = training.InitialModel();
        var initial = model.parameters().Select(p => p.detach().clone()).ToList();
        training.Train(model, Drift(model, 0.01f), "drift", null, averaged);
        foreach (var (p, start) in model.parameters().Zip(initial))
            Assert.AreEqual(shift, (p.detach() - start).abs().max().item<float>(), 1e-5);
    }

    [TestMethod]
    public void TheLanguageModelTrainsThroughTheSharedLoopAsNanoGptsPlainLoopWould()
    {
        string text = MarkovText(6_000, seed: 6);
        var tokenizer = TextTokenizer.Create("char", text);
        var settings = s_small with { Iterations = 30, EvaluationInterval = 7 }; // passes of 7, 7, 7, 7 and 2 iterations
        var training = LanguageModelTraining.OfText(text, tokenizer, settings);
        var model = training.InitialModel();
        var run = training.Train(model, new AgdOptimizer(model), "AGD", null, averageWeights: true);
        CollectionAssert.AreEqual(new[] { 0, 7, 14, 21, 28, 30 }, run.Curve.Select(p => p.Iteration).ToArray());

        // The same run as a plain loop: windows from one Random, a step each, then the mean of the last tenth (3 steps).
        var plain = training.InitialModel();
        var agd = new AgdOptimizer(plain);
        using var average = new IterateAverage(plain, settings.Iterations);
        var data = TokenBatches.Split(tokenizer.Encode(text), settings.Context);
        var random = new Random(settings.Seed);
        plain.train();
        for (int i = 0; i < settings.Iterations; i++)
        {
            using var scope = TorchSharp.torch.NewDisposeScope();
            var (inputs, targets) = data.Batch(data.Train, data.Starts(data.Train, 1, settings.BatchSize, random).First());
            agd.zero_grad();
            LanguageModelTraining.Loss(plain, inputs, targets).backward();
            agd.step();
            average.Add();
        }
        average.CopyTo();
        foreach (var ((name, a), (_, b)) in model.named_parameters().Zip(plain.named_parameters()))
            Assert.IsTrue(TensorAssert.Same(a, b), name);
        Assert.AreEqual(training.Estimate(plain, 30).ValidationLoss, run.FinalValidationLoss, 1e-12);
    }

    [TestMethod]
    public void AnEvaluationIntervalAtIntsLimitEstimatesAtTheStartAndTheEndOnly()
    {
        string text = MarkovText(6_000, seed: 7);
        var training = LanguageModelTraining.OfText(text, TextTokenizer.Create("char", text), s_small with { Iterations = 12, EvaluationInterval = int.MaxValue });
        var model = training.InitialModel();
        var run = training.Train(model, new AgdOptimizer(model), "AGD", null, averageWeights: true);
        CollectionAssert.AreEqual(new[] { 0, 12 }, run.Curve.Select(p => p.Iteration).ToArray(), "an interval past the run: one pass of every iteration");
    }

    [TestMethod]
    public void AValidationLossAboveItsStartEndsTheRunAsDiverged()
    {
        string text = MarkovText(6_000, seed: 4);
        var training = LanguageModelTraining.OfText(text, TextTokenizer.Create("char", text), s_small with { Iterations = 40, EvaluationInterval = 5 });
        var model = training.InitialModel();
        var run = training.Train(model, Scramble(model), "noise", null, averageWeights: false);
        Assert.IsTrue(run.Diverged);
        Assert.AreEqual(2, run.Curve.Count, "stopped at the first estimate above the start");
        Assert.IsTrue(run.Curve[1].ValidationLoss > run.Curve[0].ValidationLoss);
        Assert.IsTrue(double.IsNaN(run.FinalValidationLoss));
    }

    [TestMethod]
    public void ASavedModelLoadsAndGeneratesTheSameTokens()
    {
        using var data = new TinyData();
        string text = MarkovText(6_000, seed: 2);
        var tokenizer = TextTokenizer.Create("char", text);
        var training = LanguageModelTraining.OfText(text, tokenizer, s_small with { Iterations = 40, EvaluationInterval = 20 });
        var model = training.InitialModel();
        var run = training.Train(model, new AgdOptimizer(model), "AGD", null, averageWeights: true);
        var before = TextGeneration.Continue(model, tokenizer.Encode("ab"), 40, 0.8, seed: 9);

        var folder = new LanguageModelFolder(data.Path("lm"));
        folder.Write(model, tokenizer, "markov", run, AgdPlan.Of(model).Describe(), _ => { });
        var (loaded, loadedTokenizer, info) = folder.Load();
        foreach (var ((name, a), (_, b)) in model.named_parameters().Zip(loaded.named_parameters()))
            Assert.IsTrue(TensorAssert.Same(a, b), name);
        Assert.AreEqual("char", info.Tokenizer);
        Assert.AreEqual(40, info.Iterations);
        CollectionAssert.AreEqual(before, TextGeneration.Continue(loaded, loadedTokenizer.Encode("ab"), 40, 0.8, seed: 9));

        // The command line prints the prompt and the same continuation.
        var (code, output) = Cli.Run("lm", "generate", "-m", folder.Path, "--prompt", "ab", "--length", "40", "--temperature", "0.8", "--seed", "9");
        Assert.AreEqual(0, code, output);
        Assert.AreEqual("ab" + tokenizer.Decode(before), output.TrimEnd('\n'));

        // A changed byte of the weights is named, not loaded.
        var bytes = File.ReadAllBytes(folder.File("model.bin"));
        bytes[^5] ^= 0x40;
        File.WriteAllBytes(folder.File("model.bin"), bytes);
        var damaged = Assert.ThrowsExactly<InvalidDataException>(() => folder.Load());
        StringAssert.Contains(damaged.Message, "model.bin or model.json cannot be used because their checksum differs");
    }

    [TestMethod]
    public void TrainWritesAWholeFolderFromTheCommandLine()
    {
        using var data = new TinyData();
        string textFile = data.Path("markov.txt");
        File.WriteAllText(textFile, MarkovText(4_000, seed: 3));
        string output = data.Path("lm");
        var (code, printed) = Cli.Run("lm", "train", "--text", textFile, "--layers", "1", "--heads", "1", "--width", "16", "--context", "8",
            "--iterations", "30", "--eval-interval", "10", "--eval-batches", "2", "-o", output);
        Assert.AreEqual(0, code, printed);
        foreach (string file in new[] { "model.bin", "model.json", "layers.txt", "curves.png", "sample.txt" })
            Assert.IsTrue(new FileInfo(Path.Combine(output, file)).Length > 0, file);
        StringAssert.StartsWith(File.ReadAllText(Path.Combine(output, "layers.txt")), "AGD layers: 9 in all, L = ");
        // sample.txt is 500 letters of the chain's alphabet.
        Assert.IsTrue(File.ReadAllText(Path.Combine(output, "sample.txt")).All(c => c is >= 'a' and <= 'h'));
        Assert.AreEqual(500, File.ReadAllText(Path.Combine(output, "sample.txt")).Length);
    }

    [TestMethod]
    public void BadTextsAreNamed()
    {
        using var data = new TinyData();
        string Train(string name, byte[] bytes, params string[] more)
        {
            string file = data.Path(name);
            File.WriteAllBytes(file, bytes);
            var (code, output) = Cli.Run(["lm", "train", "--text", file, "--context", "64", "-o", data.Path("out-" + name), .. more]);
            Assert.AreEqual(1, code, output);
            Assert.IsFalse(Directory.Exists(data.Path("out-" + name)), "no folder is written");
            return output;
        }
        StringAssert.Contains(Train("empty.txt", []), "is empty; a language model needs a text to learn from");
        // 500 characters: the last 10 % hold 50, fewer than a window of 64 and its next token. 641 is the shortest that
        // works: its first (int)(641 * 0.9) = 576 train, and 65 validate.
        StringAssert.Contains(Train("short.txt", System.Text.Encoding.UTF8.GetBytes(new string('a', 500))),
            "its last 10 % (validation) has 50, but a window of the context (64 tokens) and the token after it need 65. Give a text of at least 641 tokens, or a shorter --context");
        // Latin-1 "café": the é is byte 0xE9, which starts no valid UTF-8 character here.
        StringAssert.Contains(Train("latin1.txt", [(byte)'c', (byte)'a', (byte)'f', 0xE9, (byte)'!']), "is not UTF-8: the bytes at offset 3 (E9)");
        StringAssert.Contains(Train("tokens.txt", System.Text.Encoding.UTF8.GetBytes(MarkovText(2_000, 1)), "--tokens", "words"), "Unknown tokenizer 'words'");
        string missing = Cli.Run("lm", "train", "--text", data.Path("nothing.txt"), "-o", data.Path("out")).Output;
        StringAssert.Contains(missing, "does not exist; give --text a UTF-8 file");
    }

    [TestMethod]
    public void APromptWithAnUnknownCharacterIsNamed()
    {
        var tokenizer = TextTokenizer.Create("char", "abcab");
        var e = Assert.ThrowsExactly<ArgumentException>(() => tokenizer.Encode("abz"));
        StringAssert.Contains(e.Message, "The character 'z' (U+007A) never occurs in the text the model was trained on");
    }

    [TestMethod]
    public void Gpt2TokensRoundTrip()
    {
        var tokenizer = TextTokenizer.Create("gpt2", "");
        int[] ids = tokenizer.Encode("Hello world, naïve café!");
        // GPT-2's byte-pair encoding: "Hello" is token 15496 and " world" 995.
        CollectionAssert.AreEqual(new[] { 15496, 995 }, ids[..2]);
        Assert.AreEqual("Hello world, naïve café!", tokenizer.Decode(ids));
        Assert.AreEqual(50257, tokenizer.VocabularySize);
    }

    [TestMethod]
    public void AdamWFollowsNanoGptsSchedule()
    {
        // nanoGPT's get_lr with warmup_iters = 100, lr_decay_iters = max_iters = 2000, min_lr = lr / 10.
        Assert.AreEqual(1e-3 * 1 / 101, NanoGptAdamW.LearningRate(1e-3, 0, 2000), 1e-15);
        Assert.AreEqual(1e-3 * 100 / 101, NanoGptAdamW.LearningRate(1e-3, 99, 2000), 1e-15);
        Assert.AreEqual(1e-3, NanoGptAdamW.LearningRate(1e-3, 100, 2000), 1e-15);
        Assert.AreEqual(0.55e-3, NanoGptAdamW.LearningRate(1e-3, 1050, 2000), 1e-15, "half-way down the cosine: the mean of peak and floor");
        Assert.AreEqual(1e-4, NanoGptAdamW.LearningRate(1e-3, 2000, 2000), 1e-15);
    }
}

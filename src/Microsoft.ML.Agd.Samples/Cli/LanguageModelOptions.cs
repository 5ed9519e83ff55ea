using Microsoft.ML.Agd.Samples.Language;
namespace Microsoft.ML.Agd.Samples.Cli;

/// <summary>The options of <c>agd lm train</c> and <c>agd lm compare</c>: the text, its tokens, the GPT's shape and the run.</summary>
internal sealed class LanguageModelOptions
{
    private static readonly LanguageModelSettings s_defaults = new();
    private readonly Option<string> _text = new("--text", "-t")
    {
        Description = $"A UTF-8 text file, or a folder of them. Default: Debian's fortunes ({TextCorpus.Fortunes}; sudo apt-get install fortunes).",
        DefaultValueFactory = _ => TextCorpus.Fortunes,
    };
    private readonly Option<string> _tokens = new("--tokens") { Description = "char (one token per character) or gpt2 (GPT-2's byte-pair encoding).", DefaultValueFactory = _ => "char" };
    private readonly Option<int> _layers = Int("--layers", "Transformer blocks.", s_defaults.Layers);
    private readonly Option<int> _heads = Int("--heads", "Attention heads per block.", s_defaults.Heads);
    private readonly Option<int> _width = Int("--width", "Width of the residual stream.", s_defaults.Width);
    private readonly Option<int> _context = Int("--context", "Tokens the model reads at once.", s_defaults.Context);
    private readonly Option<int> _batchSize = new("--batch-size", "-b") { Description = "Sequences per step.", DefaultValueFactory = _ => s_defaults.BatchSize };
    private readonly Option<int> _iterations = new("--iterations", "-i") { Description = "Training steps.", DefaultValueFactory = _ => s_defaults.Iterations };
    private readonly Option<int> _interval = Int("--eval-interval", "Steps between two estimates of the losses.", s_defaults.EvaluationInterval);
    private readonly Option<int> _evalBatches = Int("--eval-batches", "Batches each estimate averages.", s_defaults.EvaluationBatches);
    private readonly Option<int> _seed = new("--seed") { Description = "Seed of the weights and the batches.", DefaultValueFactory = _ => s_defaults.Seed };

    private static Option<int> Int(string name, string description, int value) => new(name) { Description = description, DefaultValueFactory = _ => value };

    /// <summary>Adds every option to a command.</summary>
    public void AddTo(System.CommandLine.Command command)
    {
        foreach (Option option in new Option[] { _text, _tokens, _layers, _heads, _width, _context, _batchSize, _iterations, _interval, _evalBatches, _seed })
            command.Options.Add(option);
    }

    /// <summary>The settings, checked; then the text, read and tokenized: the training it gives, its tokenizer, the text's path and the run's configuration.</summary>
    public (LanguageModelTraining Training, TextTokenizer Tokenizer, string Text, LanguageModelConfiguration Configuration) Read(ParseResult result)
    {
        var settings = new LanguageModelSettings
        {
            Layers = result.GetValue(_layers), Heads = result.GetValue(_heads), Width = result.GetValue(_width), Context = result.GetValue(_context),
            BatchSize = result.GetValue(_batchSize), Iterations = result.GetValue(_iterations), EvaluationInterval = result.GetValue(_interval),
            EvaluationBatches = result.GetValue(_evalBatches), Seed = result.GetValue(_seed),
        };
        return Prepare(result.GetValue(_text)!, result.GetValue(_tokens)!, settings, replaying: null);
    }

    /// <summary>What <see cref="Read"/> gives, from a run.json instead of the options; the text must be the run's.</summary>
    /// <exception cref="InvalidDataException">The file cannot be replayed, or the text changed since.</exception>
    public static (LanguageModelTraining Training, TextTokenizer Tokenizer, string Text, LanguageModelConfiguration Configuration) Replay(string path)
    {
        var run = LanguageModelConfiguration.Read(path);
        try
        {
            run.Settings.Validate(fields: true);
        }
        catch (ArgumentOutOfRangeException e) // an edited run.json: its field is named, not an option that was never given
        {
            throw Unreplayable(path, $"{e.Message.Split(" (Parameter", 2)[0]} It was {e.ActualValue}.", e);
        }
        try
        {
            return Prepare(run.Text, run.Tokens, run.Settings, run);
        }
        catch (ArgumentException e) when (e.ParamName == "--tokens")
        {
            throw Unreplayable(path, $"its Tokens is '{run.Tokens}', and agd's tokenizers are char (one token per character) and gpt2 (GPT-2's byte-pair encoding).", e);
        }
        catch (Exception e) when (e is IOException or InvalidDataException && e.Message.Contains("give --text", StringComparison.Ordinal))
        {
            throw Unreplayable(path, $"its Text '{run.Text}' cannot be read ({e.Message.Split("; give --text", 2)[0].TrimEnd('.')}).", e);
        }
    }

    private static InvalidDataException Unreplayable(string path, string why, Exception inner)
        => new($"The run configuration '{path}' cannot be replayed: {why} Replay an unedited run.json, or train with options instead.", inner);

    private static (LanguageModelTraining, TextTokenizer, string, LanguageModelConfiguration) Prepare(string textPath, string tokens, LanguageModelSettings settings, LanguageModelConfiguration? replaying)
    {
        settings.Validate();
        string path = string.IsNullOrWhiteSpace(textPath) ? textPath : Path.GetFullPath(textPath); // an empty one is named by TextCorpus.Read
        string text = TextCorpus.Read(path);
        replaying?.CheckText(text);
        var tokenizer = TextTokenizer.Create(tokens, text);
        return (LanguageModelTraining.OfText(text, tokenizer, settings), tokenizer, path, replaying ?? LanguageModelConfiguration.Of(path, text, tokens, settings));
    }
}

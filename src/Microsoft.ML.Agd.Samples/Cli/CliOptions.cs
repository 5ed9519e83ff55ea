using System.Text.RegularExpressions;
using Microsoft.ML.Agd.Native;
using Microsoft.ML.Agd.Samples.Data;
namespace Microsoft.ML.Agd.Samples.Cli;

/// <summary>Options that several verbs share, made once here.</summary>
internal static partial class CliOptions
{
    public static Option<string?> Data() => new("--data")
    {
        Description = "An IDX folder (train-*/t10k-* files), a CIFAR-10 or CIFAR-100 binary folder, an image folder with train/ and val/ " +
                      "sub-folders of class folders (as ImageNet's), or an image folder with one sub-folder per class. " +
                      "Default: Fashion-MNIST, the full set when Debian's dataset-fashion-mnist is installed, else the shipped subset.",
    };

    public static Option<AgdArchitecture> Architecture()
    {
        var option = new Option<AgdArchitecture>("--architecture", "-a")
        {
            Description = "fcn, resnet18, resnet34 or resnet50.", DefaultValueFactory = _ => AgdArchitecture.Fcn, HelpName = string.Join("|", OfferedArchitectures),
        };
        // Custom means a network written in C#, which a command line cannot give: --network names the samples' own.
        option.CompletionSources.Clear();
        option.CompletionSources.Add(OfferedArchitectures);
        NamesOnly<AgdArchitecture, Option<AgdArchitecture>>(option, OfferedArchitectures);
        NoCustom(option);
        return option;
    }
    public static Option<string?> Network() => new("--network") { Description = "A network written with TorchSharp's layers, from the samples, instead of -a: vgg16 (sized by --base-width)." };
    public static Option<int> Depth() => new("--depth") { Description = "Layers of an FCN.", DefaultValueFactory = _ => AgdImageClassificationTrainer.Defaults.Depth };
    public static Option<int> Width() => new("--width") { Description = "Hidden width of an FCN.", DefaultValueFactory = _ => AgdImageClassificationTrainer.Defaults.Width };
    public static Option<int> BaseWidth() => new("--base-width") { Description = "First-stage channels of a ResNet (the paper's: 64).", DefaultValueFactory = _ => AgdImageClassificationTrainer.Defaults.BaseWidth };
    /// <summary>The architectures a command line can give: custom is a network written in C#.</summary>
    public static readonly string[] OfferedArchitectures = ["fcn", "resnet18", "resnet34", "resnet50"];

    /// <summary>Refuses "custom", which means a network written in C# (a command line gives --network instead).</summary>
    public static TOption NoCustom<TOption>(TOption option) where TOption : Option
    {
        // Read from the token: a value that is no architecture at all has its own parse error, and no value to get.
        option.Validators.Add(result =>
        {
            if (result.Tokens.Any(t => t.Value.Equals(nameof(AgdArchitecture.Custom), StringComparison.OrdinalIgnoreCase)))
                result.AddError($"{option.Name} custom needs a network written in C# (AgdImageClassificationTrainer.Options.NetworkFactory); from the command line, " +
                                $"use {string.Join(", ", OfferedArchitectures)}, or --network vgg16.");
        });
        return option;
    }

    public static Option<AgdLoss> Loss() => NamesOnly<AgdLoss>(new Option<AgdLoss>("--loss") { Description = "square (the paper's) or crossentropy.", DefaultValueFactory = _ => AgdImageClassificationTrainer.Defaults.Loss });

    /// <summary>
    /// Refuses an enum's number where its name is expected: System.CommandLine takes "-a 1" as the second architecture,
    /// "--loss 9" as a loss that does not exist and "fcn,resnet18" as the two's numbers or-ed together (resnet18). A word
    /// that is no name keeps the parser's own error.
    /// </summary>
    public static TOption NamesOnly<TEnum, TOption>(TOption option, IReadOnlyList<string>? offered = null) where TEnum : struct, Enum where TOption : Option
    {
        offered ??= [.. Enum.GetNames<TEnum>().Select(n => n.ToLowerInvariant())];
        option.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
                if (!Enum.GetNames<TEnum>().Contains(token.Value, StringComparer.OrdinalIgnoreCase) && Enum.TryParse<TEnum>(token.Value, ignoreCase: true, out _))
                    result.AddError($"{option.Name} takes a name ({string.Join(", ", offered)}), not '{token.Value}'" +
                        (token.Value.Contains(',', StringComparison.Ordinal) ? "; give several separated by spaces." : "."));
        });
        return option;
    }

    /// <inheritdoc cref="NamesOnly{TEnum, TOption}(TOption, IReadOnlyList{string})"/>
    public static Option<TEnum> NamesOnly<TEnum>(Option<TEnum> option) where TEnum : struct, Enum => NamesOnly<TEnum, Option<TEnum>>(option);
    public static Option<int> Epochs() => new("--epochs", "-e") { Description = "Passes over the training data.", DefaultValueFactory = _ => AgdImageClassificationTrainer.Defaults.NumberOfEpochs };
    public static Option<int?> BatchSize() => new("--batch-size", "-b") { Description = "Images per step. Without it the batch is automatic: it starts at 32 and doubles as the gradient noise measured in training grows, while the measured step times say a larger batch trains faster." };
    public static Option<int> ImageSize() => new("--image-size") { Description = "Height and width images of an image folder are resized to.", DefaultValueFactory = _ => DataSets.DefaultImageShape.Height };
    public static Option<bool> Grey() => new("--grey") { Description = "Read images of an image folder as one grey channel instead of RGB." };
    public static Option<double> TestFraction() => new("--test-fraction") { Description = "Share of an image folder held out for validation and testing.", DefaultValueFactory = _ => DataSets.DefaultTestFraction, CustomParser = Number };

    /// <summary>
    /// A number as the help and the messages write it (0.5), in every locale: no group separators, so that a decimal comma
    /// ("0,5") is refused by name rather than read as 5.
    /// </summary>
    public static double Number(System.CommandLine.Parsing.ArgumentResult result)
    {
        string token = result.Tokens[^1].Value;
        if (double.TryParse(token, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double value))
            return value;
        result.AddError($"{(result.Parent as System.CommandLine.Parsing.OptionResult)?.Option.Name} takes a number such as 0.5, not '{token}'.");
        return 0;
    }

    /// <summary>
    /// A duration as hh:mm:ss or d.hh:mm:ss: .NET's own reading takes "3" for three days and "1:2:3:4" for a day and two
    /// hours, which no one means by a budget.
    /// </summary>
    public static TimeSpan Duration(System.CommandLine.Parsing.ArgumentResult result)
    {
        string token = result.Tokens[^1].Value;
        if (DurationForm().IsMatch(token) && TimeSpan.TryParse(token, System.Globalization.CultureInfo.InvariantCulture, out var value))
            return value;
        result.AddError($"{(result.Parent as System.CommandLine.Parsing.OptionResult)?.Option.Name} takes {ParseErrors.Takes(typeof(TimeSpan).FullName!)}, not '{token}'.");
        return TimeSpan.Zero;
    }

    [GeneratedRegex(@"^-?(\d+\.)?\d{1,2}:\d{2}:\d{2}(\.\d+)?$")]
    private static partial Regex DurationForm();

    public static Option<int> Seed() => new("--seed") { Description = "Seed of the split, the weights and the batch order.", DefaultValueFactory = _ => 0 };
    public static Option<string> Output(string value) => new("--output", "-o") { Description = "Output folder.", DefaultValueFactory = _ => value };
    public static Option<string> Model() => new("--model", "-m") { Description = "A model folder written by 'agd train'.", DefaultValueFactory = _ => "agd-output" };

    public static Option<string?> Config() => new("--config") { Description = "Replays the run that a folder's run.json describes (every option as it was); only -o may be given with it." };

    /// <summary>A replay takes every setting from its file: an option given beside --config would be ignored, so it is refused.</summary>
    /// <exception cref="ArgumentException">One was given; the message names it.</exception>
    public static void CheckAloneWithConfig(ParseResult result)
    {
        var given = result.CommandResult.Children.OfType<System.CommandLine.Parsing.OptionResult>()
            .Where(o => !o.Implicit && o.Option.Name is not ("--config" or "--output")).Select(o => o.Option.Name).ToList();
        if (given.Count > 0)
            throw new ArgumentException($"--config replays a run with the settings it had; {string.Join(", ", given)} cannot be given with it. Give --config (and -o) alone, or options without --config.");
    }

    /// <summary>Says, in one line, when this CPU's libtorch needs the convolution remedy (verbs that train call it first).</summary>
    public static void SayConvolutionRemedy()
    {
        var check = TorchNative.ConvolutionCheck;
        if (check.Remedy != ConvolutionRemedy.None)
            Spectre.Console.AnsiConsole.MarkupLine($"[yellow]{Spectre.Console.Markup.Escape("Note: " + check)}[/]");
    }

    /// <summary>Runs a verb's body, turning the errors a user can fix into a message and exit code 1.</summary>
    public static int Guard(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            Console.Error.WriteLine($"error: {InCommandLineWords(e)}");
            return 1;
        }
    }

    // The library's option names as the command line spells them.
    private static readonly Dictionary<string, string> s_flags = new()
    {
        ["BatchSize"] = "--batch-size", ["NumberOfEpochs"] = "--epochs", ["Depth"] = "--depth", ["Width"] = "--width", ["BaseWidth"] = "--base-width",
        ["Depths"] = "--depths", ["Widths"] = "--widths", ["BaseWidths"] = "--base-widths", ["BatchSizes"] = "--batch-sizes",
        ["Budget"] = "--budget", ["InitialTrials"] = "--trials",
    };

    // A run file's field for an option's name: "--base-width" is BaseWidth; a library option's name is its field's.
    private static string FieldOf(string name)
        => name.StartsWith("--", StringComparison.Ordinal) ? string.Concat(name[2..].Split('-').Select(w => char.ToUpperInvariant(w[0]) + w[1..])) : name;

    /// <summary>A search's text with its lists named by their flags: a failed trial's "Make Depths smaller" says --depths.</summary>
    public static string SearchListsAsFlags(string text)
        => Regex.Replace(text, @"\b(Depths|Widths|BaseWidths|BatchSizes)\b", m => s_flags[m.Value]);

    /// <summary>
    /// An error's message as a command-line user reads it: a damaged file's own message rather than the wrapper ML.NET
    /// puts around it, an option named by its flag, and without .NET's "(Parameter 'x')" and "Actual value was"
    /// suffixes (the value is said in words).
    /// </summary>
    /// <param name="e">The error.</param>
    /// <param name="fields">Name the option as a run file's field ("its Network") rather than as a flag: a replay's values come from the file.</param>
    public static string InCommandLineWords(Exception e, bool fields = false)
    {
        // ML.NET's cursors wrap a file's error in their own ("Splitter/consolidator worker encountered exception ..."): the
        // file's is the one that names it.
        if (e is InvalidOperationException)
            for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
                if (inner is InvalidDataException or IOException)
                    return inner.Message;
        const int noSpace = 28; // ENOSPC: .NET's HResult of such an IOException on Unix
        if (e is IOException { HResult: noSpace } && Jobs.RunTemporaryFolder.Parent is { } temporary && e.Message.Contains(temporary, StringComparison.Ordinal))
            return $"The temporary folder '{temporary}' is full ({e.Message.Split(':')[0].Trim()}); free space there, or set TMPDIR to a folder on another disk.";
        if (e is not ArgumentException { ParamName: { } name } argument)
            return SearchListsAsFlags(e.Message);
        string text = argument.Message;
        int suffix = text.IndexOf(" (Parameter '", StringComparison.Ordinal);
        if (suffix >= 0)
            text = text[..suffix];
        if (fields) // a message that names the field already says it; one that names none gets it first
            text = text.Contains(FieldOf(name), StringComparison.Ordinal) ? text : $"its {FieldOf(name)}: {text}";
        else
        {
            string flag = s_flags.GetValueOrDefault(name, name);
            text = text.Replace(name, flag, StringComparison.Ordinal);
            if (flag.StartsWith('-') && !text.Contains(flag, StringComparison.Ordinal))
                text = $"{flag}: {text}";
        }
        return e is ArgumentOutOfRangeException { ActualValue: { } value } ? FormattableString.Invariant($"{text} It was {value}.") : text;
    }
}

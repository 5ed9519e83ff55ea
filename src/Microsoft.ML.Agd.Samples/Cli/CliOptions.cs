using Microsoft.ML.Agd.Native;
using Microsoft.ML.Agd.Samples.Data;
namespace Microsoft.ML.Agd.Samples.Cli;

/// <summary>Options that several verbs share, made once here.</summary>
internal static class CliOptions
{
    public static Option<string?> Data() => new("--data")
    {
        Description = "An IDX folder (train-*/t10k-* files), a CIFAR-10 or CIFAR-100 binary folder, an image folder with train/ and val/ " +
                      "sub-folders of class folders (as ImageNet's), or an image folder with one sub-folder per class. " +
                      "Default: Fashion-MNIST, the full set when Debian's dataset-fashion-mnist is installed, else the shipped subset.",
    };

    public static Option<AgdArchitecture> Architecture()
    {
        string[] offered = ["fcn", "resnet18", "resnet34", "resnet50"];
        var option = new Option<AgdArchitecture>("--architecture", "-a")
        {
            Description = "fcn, resnet18, resnet34 or resnet50.", DefaultValueFactory = _ => AgdArchitecture.Fcn, HelpName = string.Join("|", offered),
        };
        // Custom means a network written in C#, which a command line cannot give: --network names the samples' own.
        option.CompletionSources.Clear();
        option.CompletionSources.Add(offered);
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<AgdArchitecture>() == AgdArchitecture.Custom)
                result.AddError("-a custom needs a network written in C# (AgdImageClassificationTrainer.Options.NetworkFactory); from the command line, " +
                                "use -a fcn, resnet18, resnet34 or resnet50, or --network vgg16.");
        });
        return option;
    }
    public static Option<string?> Network() => new("--network") { Description = "A network written with TorchSharp's layers, from the samples, instead of -a: vgg16 (sized by --base-width)." };
    public static Option<int> Depth() => new("--depth") { Description = "Layers of an FCN.", DefaultValueFactory = _ => AgdImageClassificationTrainer.Defaults.Depth };
    public static Option<int> Width() => new("--width") { Description = "Hidden width of an FCN.", DefaultValueFactory = _ => AgdImageClassificationTrainer.Defaults.Width };
    public static Option<int> BaseWidth() => new("--base-width") { Description = "First-stage channels of a ResNet (the paper's: 64).", DefaultValueFactory = _ => AgdImageClassificationTrainer.Defaults.BaseWidth };
    public static Option<AgdLoss> Loss() => new("--loss") { Description = "square (the paper's) or crossentropy.", DefaultValueFactory = _ => AgdImageClassificationTrainer.Defaults.Loss };
    public static Option<int> Epochs() => new("--epochs", "-e") { Description = "Passes over the training data.", DefaultValueFactory = _ => AgdImageClassificationTrainer.Defaults.NumberOfEpochs };
    public static Option<int?> BatchSize() => new("--batch-size", "-b") { Description = "Images per step. Without it the batch is automatic: it starts at 32 and doubles as the gradient noise measured in training grows." };
    public static Option<int> ImageSize() => new("--image-size") { Description = "Height and width images of an image folder are resized to.", DefaultValueFactory = _ => DataSets.DefaultImageShape.Height };
    public static Option<bool> Grey() => new("--grey") { Description = "Read images of an image folder as one grey channel instead of RGB." };
    public static Option<double> TestFraction() => new("--test-fraction") { Description = "Share of an image folder held out for validation and testing.", DefaultValueFactory = _ => DataSets.DefaultTestFraction };
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
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}

using Microsoft.ML.Agd.Samples.Networks;
using Microsoft.ML.Agd.Samples.Jobs;
namespace Microsoft.ML.Agd.Samples.Cli;

/// <summary>The options that say what to train on what (data, network, epochs, loss, batch size, seed), shared by train and compare.</summary>
internal sealed class TrainingOptions
{
    private readonly DataOptions _data = new();
    private readonly Option<AgdArchitecture> _architecture = CliOptions.Architecture();
    private readonly Option<string?> _network = CliOptions.Network();
    private readonly Option<int> _depth = CliOptions.Depth();
    private readonly Option<int> _width = CliOptions.Width();
    private readonly Option<int> _baseWidth = CliOptions.BaseWidth();
    private readonly Option<int> _epochs = CliOptions.Epochs();
    private readonly Option<AgdLoss> _loss = CliOptions.Loss();
    private readonly Option<int?> _batchSize = CliOptions.BatchSize();

    /// <summary>
    /// A verb that trains: these options, an output folder, and a body that gets the settings they give. A replayable verb
    /// also takes <c>--config run.json</c>, the settings of an earlier run, in place of the options.
    /// </summary>
    public static System.CommandLine.Command Verb(string name, string description, string defaultOutput, Func<TrainSettings, int> run, bool replayable = false)
    {
        var training = new TrainingOptions();
        var output = CliOptions.Output(defaultOutput);
        var config = CliOptions.Config();
        var command = new System.CommandLine.Command(name, description) { output };
        training.AddTo(command);
        if (replayable)
            command.Options.Add(config);
        command.SetAction(result => CliOptions.Guard(() => run(result.GetValue(config) is { } path
            ? Replay(result, path, result.GetValue(output)!)
            : training.Read(result, result.GetValue(output)!))));
        return command;
    }

    private static TrainSettings Replay(ParseResult result, string path, string output)
    {
        CliOptions.CheckAloneWithConfig(result);
        var configuration = RunConfiguration.Read(path);
        // An edited value: the file is to blame, not an option that was not given.
        string Refused(string why) => $"The run configuration '{path}' cannot be replayed: {why} Replay an unedited run.json, or train with options instead.";
        if (configuration.Architecture == AgdArchitecture.Custom && configuration.Network is null)
            throw new InvalidDataException(Refused("its Architecture is Custom, a network written in C#, which a replay cannot build."));
        if (configuration.Device == AgdDevice.Cuda && !TorchSharp.torch.cuda.is_available())
            throw new InvalidDataException(Refused("its Device is Cuda, and this machine has no CUDA device (or this agd was built for CPUs only)."));
        if (configuration.ImageShape is { Height: var height, Width: var width } && (height != width || height < 1))
            throw new InvalidDataException(Refused($"its ImageShape has Height {height} and Width {width}, and agd train writes images' size as one positive number (--image-size)."));
        // A stopped run kept at least its first epoch (one stopped before it writes nothing) and stopped before its last.
        if (configuration.StoppedAfterEpoch is { } stopped && (stopped < 1 || stopped > configuration.NumberOfEpochs))
            throw new InvalidDataException(Refused($"its StoppedAfterEpoch is {stopped}, and a run of {configuration.NumberOfEpochs} epoch(s) stops after epoch 1 to {configuration.NumberOfEpochs}."));
        try
        {
            var settings = configuration.ToSettings(output);
            settings.Data.Validate();
            settings.Trainer.Validate();
            return settings;
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException(Refused(CliOptions.InCommandLineWords(e, fields: true)), e);
        }
    }

    /// <summary>Adds every option to a command.</summary>
    public void AddTo(System.CommandLine.Command command)
    {
        _data.AddTo(command);
        foreach (Option option in new Option[] { _architecture, _network, _depth, _width, _baseWidth, _epochs, _loss, _batchSize })
            command.Options.Add(option);
    }

    /// <summary>The settings a command line gave: the trainer's options bound to the library's own (defaults included).</summary>
    public TrainSettings Read(ParseResult result, string output)
    {
        var data = _data.Read(result);
        string? network = result.GetValue(_network);
        if (network is not null && result.GetResult(_architecture) is { Implicit: false })
            throw new ArgumentException("--network and --architecture (-a) each choose the network; give one of them.", "--network");
        int baseWidth = result.GetValue(_baseWidth);
        return new()
        {
            Data = data,
            Network = network,
            Output = output,
            Trainer = new()
            {
                Architecture = result.GetValue(_architecture), Depth = result.GetValue(_depth), Width = result.GetValue(_width), BaseWidth = baseWidth,
                NumberOfEpochs = result.GetValue(_epochs), Loss = result.GetValue(_loss), BatchSize = result.GetValue(_batchSize), Seed = data.Seed,
                NetworkFactory = network is null ? null : SampleNetworks.Factory(network, baseWidth),
            },
        };
    }
}

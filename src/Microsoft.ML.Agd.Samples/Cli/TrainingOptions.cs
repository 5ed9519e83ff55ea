namespace Microsoft.ML.Agd.Samples.Cli;

/// <summary>The options that say what to train on what (data, network, epochs, loss, batch size, seed), shared by train and compare.</summary>
internal sealed class TrainingOptions
{
    private readonly Option<string?> _data = CliOptions.Data();
    private readonly Option<AgdArchitecture> _architecture = CliOptions.Architecture();
    private readonly Option<string?> _network = CliOptions.Network();
    private readonly Option<int> _depth = CliOptions.Depth();
    private readonly Option<int> _width = CliOptions.Width();
    private readonly Option<int> _baseWidth = CliOptions.BaseWidth();
    private readonly Option<int> _epochs = CliOptions.Epochs();
    private readonly Option<AgdLoss> _loss = CliOptions.Loss();
    private readonly Option<int> _batchSize = CliOptions.BatchSize();
    private readonly Option<int> _imageSize = CliOptions.ImageSize();
    private readonly Option<bool> _grey = CliOptions.Grey();
    private readonly Option<double> _testFraction = CliOptions.TestFraction();
    private readonly Option<int> _seed = CliOptions.Seed();

    /// <summary>A verb that trains: these options, an output folder, and a body that gets the settings they give.</summary>
    public static System.CommandLine.Command Verb(string name, string description, string defaultOutput, Func<TrainSettings, int> run)
    {
        var training = new TrainingOptions();
        var output = CliOptions.Output(defaultOutput);
        var command = new System.CommandLine.Command(name, description) { output };
        training.AddTo(command);
        command.SetAction(result => CliOptions.Guard(() => run(training.Read(result, result.GetValue(output)!))));
        return command;
    }

    /// <summary>Adds every option to a command.</summary>
    public void AddTo(System.CommandLine.Command command)
    {
        foreach (Option option in new Option[] { _data, _architecture, _network, _depth, _width, _baseWidth, _epochs, _loss, _batchSize, _imageSize, _grey, _testFraction, _seed })
            command.Options.Add(option);
    }

    /// <summary>The settings a command line gave.</summary>
    public TrainSettings Read(ParseResult result, string output) => new()
    {
        Data = result.GetValue(_data),
        Architecture = result.GetValue(_architecture),
        Network = result.GetValue(_network),
        Depth = result.GetValue(_depth),
        Width = result.GetValue(_width),
        BaseWidth = result.GetValue(_baseWidth),
        Epochs = result.GetValue(_epochs),
        Loss = result.GetValue(_loss),
        BatchSize = result.GetValue(_batchSize),
        ImageShape = new AgdImageShape(result.GetValue(_grey) ? 1 : 3, result.GetValue(_imageSize), result.GetValue(_imageSize)),
        TestFraction = result.GetValue(_testFraction),
        Seed = result.GetValue(_seed),
        Output = output,
    };
}

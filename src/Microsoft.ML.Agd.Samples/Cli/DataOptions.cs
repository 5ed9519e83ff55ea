using Microsoft.ML.Agd.Samples.Jobs;
namespace Microsoft.ML.Agd.Samples.Cli;

/// <summary>What every verb that trains reads: the data, how an image folder is decoded and split, and the seed.</summary>
internal sealed class DataOptions
{
    private readonly Option<string?> _data = CliOptions.Data();
    private readonly Option<int> _imageSize = CliOptions.ImageSize();
    private readonly Option<bool> _grey = CliOptions.Grey();
    private readonly Option<double> _testFraction = CliOptions.TestFraction();
    private readonly Option<int> _seed = CliOptions.Seed();

    /// <summary>Adds the options to a command.</summary>
    public void AddTo(System.CommandLine.Command command)
    {
        foreach (Option option in new Option[] { _data, _imageSize, _grey, _testFraction, _seed })
            command.Options.Add(option);
    }

    /// <summary>The data settings a command line gave.</summary>
    public DataSettings Read(ParseResult result)
    {
        int size = result.GetValue(_imageSize);
        return new DataSettings
        {
            Folder = result.GetValue(_data), ImageShape = new AgdImageShape(result.GetValue(_grey) ? 1 : 3, size, size),
            TestFraction = result.GetValue(_testFraction), Seed = result.GetValue(_seed),
        };
    }
}

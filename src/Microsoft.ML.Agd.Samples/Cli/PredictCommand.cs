using System.CommandLine;

namespace Microsoft.ML.Agd.Samples.Cli;

internal static class PredictCommand
{
    public static System.CommandLine.Command Create() => new("predict", "TODO");
}

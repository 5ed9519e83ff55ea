using System.CommandLine;

namespace Microsoft.ML.Agd.Samples.Cli;

internal static class EvaluateCommand
{
    public static System.CommandLine.Command Create() => new("evaluate", "TODO");
}

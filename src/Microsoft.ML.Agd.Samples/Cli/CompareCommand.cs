using System.CommandLine;

namespace Microsoft.ML.Agd.Samples.Cli;

internal static class CompareCommand
{
    public static System.CommandLine.Command Create() => new("compare", "TODO");
}

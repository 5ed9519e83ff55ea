using System.Text.RegularExpressions;
namespace Microsoft.ML.Agd.Samples.Cli;

/// <summary>
/// System.CommandLine's parse errors in the command line's words: a value an option cannot take is said with what the
/// option takes ("--batch-size takes a whole number ..., not 'abc'."), not with .NET's type names.
/// </summary>
internal static partial class ParseErrors
{
    /// <summary>Prints the parse errors and where the options are listed; returns the exit code, 1.</summary>
    public static int Print(ParseResult result)
    {
        foreach (var error in result.Errors)
            Console.Error.WriteLine($"error: {InWords(error.Message)}");
        var verbs = new List<string>();
        for (var command = result.CommandResult; command.Parent is System.CommandLine.Parsing.CommandResult parent; command = parent)
            verbs.Insert(0, command.Command.Name);
        Console.Error.WriteLine($"'agd {string.Join(" ", verbs.Append("--help"))}' lists the options.");
        return 1;
    }

    /// <summary>An error's message with the type it names said as the values it takes.</summary>
    public static string InWords(string message)
    {
        var match = CannotParse().Match(message);
        if (!match.Success)
            return message;
        var (option, value, type) = (match.Groups["option"].Value, match.Groups["value"].Value, match.Groups["type"].Value);
        // A whole number too large for the type: said so, not with the type's range, which is not the option's.
        return Takes(type) == WholeNumber && Whole().IsMatch(value)
            ? $"{option} takes a whole number, and {value} is too {(value.StartsWith('-') ? "small" : "large")} for it."
            : $"{option} takes {Takes(type)}, not '{value}'.";
    }

    private const string WholeNumber = "a whole number";

    // The values a .NET type takes, as a user types them or finds them in agd's JSON files (an option's own range, such as
    // --epochs' from 1, is checked and said once the value is read).
    internal static string Takes(string typeName)
    {
        string name = Nullable().Match(typeName) is { Success: true } inner ? inner.Groups["type"].Value : typeName;
        return name switch
        {
            "System.Int32" or "System.Int64" => WholeNumber,
            "System.Single" or "System.Double" => "a number such as 0.5",
            "System.TimeSpan" => "a duration as hh:mm:ss, or d.hh:mm:ss with days (00:10:00 is ten minutes)",
            "System.String" => "text in quotes",
            "System.Boolean" => "true or false",
            _ when name.Contains("List`1", StringComparison.Ordinal) || name.EndsWith("[]", StringComparison.Ordinal) => "a list in brackets",
            _ when name.Contains("Dictionary`2", StringComparison.Ordinal) => "an object of named fields",
            _ when (typeof(AgdLoss).Assembly.GetType(name) ?? typeof(ParseErrors).Assembly.GetType(name)) is { IsEnum: true } type => $"a name ({string.Join(", ", Names(type))})",
            _ => "what agd writes there",
        };
    }

    private static IEnumerable<string> Names(Type type)
        => type == typeof(AgdArchitecture) ? CliOptions.OfferedArchitectures : Enum.GetNames(type).Select(n => n.ToLowerInvariant());

    // The message may go on ("Did you mean one of the following?" and names), which the words above already say.
    [GeneratedRegex(@"^Cannot parse argument '(?<value>.*?)' for option '(?<option>[^']*)' as expected type '(?<type>[^']*)'\.", RegexOptions.Singleline)]
    private static partial Regex CannotParse();

    [GeneratedRegex(@"^[+-]?[0-9]+$")]
    private static partial Regex Whole();

    [GeneratedRegex(@"^System\.Nullable`1\[(?<type>.*)\]$")]
    private static partial Regex Nullable();
}

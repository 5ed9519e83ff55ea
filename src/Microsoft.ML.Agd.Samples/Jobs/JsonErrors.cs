using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Agd.Samples.Cli;
namespace Microsoft.ML.Agd.Samples.Jobs;

/// <summary>
/// What is wrong with a JSON file agd wrote and someone edited, in a user's words ("it lacks the field Seed"), from
/// System.Text.Json's error, whose message names .NET types and members.
/// </summary>
internal static partial class JsonErrors
{
    /// <summary>
    /// Reads a JSON file agd wrote; a file that is not UTF-8 or not the JSON expected is reported through
    /// <paramref name="damaged"/>, given why in words.
    /// </summary>
    public static T? ReadFile<T>(string path, JsonSerializerOptions options, Func<string, Exception> damaged)
    {
        string text;
        try
        {
            text = Data.InputFile.ReadAllText(path);
        }
        catch (InvalidDataException e) when (e.Message.Contains("not UTF-8", StringComparison.Ordinal))
        {
            throw damaged("it is not UTF-8 text, as agd writes it");
        }
        try
        {
            return JsonSerializer.Deserialize<T>(text, options);
        }
        catch (JsonException e)
        {
            throw damaged(InWords(e));
        }
    }

    /// <summary>The error as a clause that follows "it" or a file's name: "it has a field 'Extra' that agd does not write".</summary>
    public static string InWords(JsonException e)
    {
        string message = e.Message;
        string at = e.LineNumber is { } line ? $" (line {line + 1})" : "";
        string field = e.Path is { Length: > 2 } path ? path.TrimStart('$', '.') : "";
        if (Missing().Match(message) is { Success: true } missing)
        {
            string names = missing.Groups["names"].Value.Replace("'", "", StringComparison.Ordinal);
            return $"it lacks the field{(names.Contains(',', StringComparison.Ordinal) ? "s" : "")} {names}";
        }
        if (Unknown().Match(message) is { Success: true } unknown)
            return $"it has a field '{unknown.Groups["name"].Value}' that agd does not write (is it the file of another verb, or edited?)";
        if (NotNull().Match(message) is { Success: true } nulled)
            return $"its field {nulled.Groups["name"].Value} is null";
        if (Converted().Match(message) is { Success: true } converted)
        {
            return field.Length == 0 ? $"it is not an object of named fields, as agd writes it{at}"
                : $"its field {field}{at} is not {ParseErrors.Takes(converted.Groups["type"].Value)}";
        }
        if (message.Contains("does not contain any JSON tokens", StringComparison.Ordinal))
            return "it is empty";
        if (message.Contains("maximum configured depth", StringComparison.Ordinal))
            return $"it nests deeper than agd writes{at}";
        return $"it is not valid JSON{at}";
    }

    [GeneratedRegex(@"missing required properties including: (?<names>.*)\.$")]
    private static partial Regex Missing();

    [GeneratedRegex(@"The JSON property '(?<name>[^']*)' could not be mapped")]
    private static partial Regex Unknown();

    [GeneratedRegex(@"'(?<name>[^']*)' on type '[^']*' doesn't allow (?:setting|getting) null")]
    private static partial Regex NotNull();

    [GeneratedRegex(@"could not be converted to (?<type>\S+?)\. Path:")]
    private static partial Regex Converted();
}

using Microsoft.ML.Agd.Optim;
using Microsoft.ML.Agd.Samples.Data;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Microsoft.ML.Agd.Samples.Jobs;

/// <summary>
/// A run's configuration file, run.json, as agd train and agd lm train write and replay it: a format number, read
/// strictly (a field it does not know, or one missing, is refused by name, never guessed), and what ran it.
/// </summary>
internal static class RunFile
{
    /// <summary>The format this agd writes and reads; a file of another format is refused by name.</summary>
    public const int CurrentFormat = 1;

    /// <summary>The file's name in a model folder.</summary>
    public const string FileName = "run.json";

    /// <summary>The versions and the machine a run depends on for its exact numbers.</summary>
    public sealed record Provenance(string Agd, string TorchSharp, string LibTorch, string MLNet, string DotNet, string Cpu)
    {
        /// <summary>This process's.</summary>
        public static Provenance Current { get; } = new(
            Version(typeof(AgdOptimizer).Assembly), Version(typeof(TorchSharp.torch).Assembly), Metadata("LibTorchVersion"), Metadata("MLNetVersion"),
            Environment.Version.ToString(), InstructionSet());

        private static string Version(Assembly assembly)
            => (assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? assembly.GetName().Version?.ToString() ?? "unknown").Split('+')[0];

        private static string Metadata(string key) => typeof(RunFile).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

        private static string InstructionSet()
        {
            var x86 = System.Runtime.Intrinsics.X86.Avx512F.IsSupported ? "AVX-512" : System.Runtime.Intrinsics.X86.Avx2.IsSupported ? "AVX2" : null;
            return $"{System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}{(x86 is null ? "" : $" with {x86}")}";
        }
    }

    // Strict: a field it does not know, and null where the field cannot be null (an edited "Ran": null), are refused.
    private static readonly JsonSerializerOptions s_json = new(ModelFolder.Json) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow, RespectNullableAnnotations = true };

    /// <summary>Reads a run file of <paramref name="verb"/>.</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">It is not one, or one of another format; the message says which and what to do.</exception>
    public static T Read<T>(string path, string verb) where T : class
    {
        if (Directory.Exists(path))
            throw new FileNotFoundException($"The run configuration '{path}' is a folder: give the run.json file in it.", path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"The run configuration '{path}' does not exist: give the run.json of a folder that {verb} wrote.", path);
        string text = InputFile.ReadAllText(path);
        int? format = null;
        string? other = null;
        try
        {
            using var document = JsonDocument.Parse(text);
            other = document.RootElement.ValueKind == JsonValueKind.Object ? OtherVerb(document.RootElement, verb) : null;
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("Format", out var f))
                format = f.ValueKind == JsonValueKind.Number && f.TryGetInt32(out int value) ? value
                    : throw new InvalidDataException($"The run configuration '{path}' has a Format of {f.GetRawText()}, not a whole number: it is not a run.json that {verb} wrote unedited.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The run configuration '{path}' cannot be read: {JsonErrors.InWords(e)}.", e);
        }
        if (format is null)
            throw new InvalidDataException($"The run configuration '{path}' has no Format: it is not a run.json that {verb} wrote.");
        if (other is not null)
            throw new InvalidDataException($"The run configuration '{path}' is the run.json of {other}, not of {verb}: replay it with {other} --config.");
        if (format != CurrentFormat)
            throw new InvalidDataException($"The run configuration '{path}' is of format {format}, and this agd ({Provenance.Current.Agd}) reads format {CurrentFormat} only: " +
                (format > CurrentFormat ? "it was written by a newer agd; replay it with that version." : "it was written by an older agd; replay it with that version."));
        try
        {
            return JsonSerializer.Deserialize<T>(text, s_json)!;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The run configuration '{path}' cannot be replayed: {JsonErrors.InWords(e)}. Replay an unedited run.json, or train with options instead.", e);
        }
    }

    // The verb that wrote a run file, where it is not the one replaying it: a language model's records its Text, an image
    // model's its Data.
    private static string? OtherVerb(JsonElement root, string verb)
        => verb == "agd train" && root.TryGetProperty("Text", out _) && !root.TryGetProperty("Data", out _) ? "agd lm train"
            : verb == "agd lm train" && root.TryGetProperty("Data", out _) && !root.TryGetProperty("Text", out _) ? "agd train"
            : null;

    /// <summary>The ways this machine differs from the one that ran (each may change a model's numbers), or none.</summary>
    public static IReadOnlyList<string> Differences(Provenance then)
    {
        var now = Provenance.Current;
        return new[] { ("agd", then.Agd, now.Agd), ("TorchSharp", then.TorchSharp, now.TorchSharp), ("libtorch", then.LibTorch, now.LibTorch),
                       ("ML.NET", then.MLNet, now.MLNet), (".NET", then.DotNet, now.DotNet), ("CPU", then.Cpu, now.Cpu) }
            .Where(d => d.Item2 != d.Item3).Select(d => $"{d.Item1} {d.Item2} then, {d.Item3} now").ToList();
    }

    /// <summary>What a replay says first: the data, the machine it ran on, and every difference from this one.</summary>
    public static IEnumerable<string> ReplayNotes(string data, Provenance then)
        => Differences(then).Select(d => $"Note: {d}: the model may differ from the original in its last digits.").Prepend($"Replaying the run on {data} ({then.Cpu}, agd {then.Agd}).");
}

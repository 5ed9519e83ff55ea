namespace Microsoft.ML.Agd.Benchmarks;

/// <summary>The machine a benchmark ran on, named in its tables: figures differ between CPUs.</summary>
internal static class Machine
{
    /// <summary>The CPU's model name and whether it has AVX-512.</summary>
    public static string Cpu { get; } = Describe();

    private static string Describe()
    {
        string? model = File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal)) : null;
        bool avx512 = File.Exists("/proc/cpuinfo") && File.ReadAllText("/proc/cpuinfo").Contains(" avx512f", StringComparison.Ordinal);
        return $"{model?.Split(':', 2)[1].Trim() ?? System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString()} ({(avx512 ? "with" : "without")} AVX-512)";
    }
}

namespace Microsoft.ML.Agd.Benchmarks;

/// <summary>
/// <c>AGD_NETWORKS="ResNet-18,VGG"</c> runs only the rows of sections 9, 12 and 15 whose names start with one of these: a long
/// section can be rerun part by part (ResNet-50's rows alone take over an hour on 2 cores). <c>AGD_BATCHES="2048"</c>
/// likewise runs only section 12's and 17's cells at these batch sizes ("automatic" names section 17's automatic batch).
/// </summary>
internal static class RowFilter
{
    public static bool Keep(string name)
        => Environment.GetEnvironmentVariable("AGD_NETWORKS") is not { } only || only.Split(',').Any(p => name.StartsWith(p.Trim(), StringComparison.Ordinal));

    public static bool KeepBatch(int? batch)
        => Environment.GetEnvironmentVariable("AGD_BATCHES") is not { } only || only.Split(',').Any(b => b.Trim() == (batch?.ToString() ?? "automatic"));
}

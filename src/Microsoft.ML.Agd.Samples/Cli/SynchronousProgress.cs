namespace Microsoft.ML.Agd.Samples.Cli;

/// <summary>Reports on the calling thread, so the console updates while training runs (Progress&lt;T&gt; would post to the thread pool).</summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}

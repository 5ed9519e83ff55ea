namespace Microsoft.ML.Agd.Samples.Jobs;

/// <summary>A job stopped before it had anything to write: it says so, and that the folder it would have replaced is as it was.</summary>
internal static class Stopped
{
    /// <summary>Runs <paramref name="work"/>; a stop inside it is rethrown saying that nothing was written to <paramref name="folder"/>.</summary>
    /// <param name="folder">The output folder the job would have written.</param>
    /// <param name="what">What stopped, for the message; null keeps the stop's own message.</param>
    /// <param name="output">What the job writes ("model", "comparison").</param>
    /// <param name="work">The work that a stop can interrupt.</param>
    public static T NothingWritten<T>(string folder, string? what, string output, Func<T> work)
    {
        try
        {
            return work();
        }
        catch (OperationCanceledException e)
        {
            throw Before(what ?? e.Message.TrimEnd('.'), output, folder, e);
        }
    }

    /// <summary>The stop of a job that wrote nothing: "{what}: no {output} was written; '{folder}' still holds the earlier one."</summary>
    public static OperationCanceledException Before(string what, string output, string folder, Exception? inner = null)
        => new($"{what}: no {output} was written{(Directory.Exists(folder) ? $"; '{folder}' still holds the earlier one" : "")}.", inner);
}

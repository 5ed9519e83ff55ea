using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.Agd.Distributed;
using Microsoft.ML.Agd.Samples.Jobs;
using Microsoft.ML.Agd.Training;

namespace Microsoft.ML.Agd.Samples.Cli;

/// <summary>
/// <c>mpiexec -n N agd train ...</c>: started by an MPI launcher as one of several ranks, agd joins the job before anything
/// else (a rank that ended before joining would leave the others waiting in MPI's start), every rank trains its part of
/// each batch, and rank 0 alone prints and writes the model folder (<c>agd lm train</c> likewise). A rank that fails ends
/// the whole job.
/// </summary>
internal static class JobRanks
{
    /// <summary>The job's ranks, or null when agd runs as one process.</summary>
    public static MpiCommunicator? Current { get; private set; }

    /// <summary>Whether this process prints and writes: rank 0 of a job, or a process alone.</summary>
    public static bool IsFirst => Current is null || Current.Rank == 0;

    /// <summary>Joins the job when an MPI launcher started several ranks; the other ranks' standard output is silenced.</summary>
    /// <exception cref="InvalidOperationException">No MPICH-ABI library could be loaded; the message says what to install.</exception>
    public static IDisposable? Join()
    {
        if (!MpiCommunicator.IsLaunched)
            return null;
        Current = MpiCommunicator.Start();
        if (Current.Rank != 0)
        {
            Console.SetOut(TextWriter.Null);
            AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null) });
        }
        return Current;
    }

    /// <summary>
    /// Checks that a verb can run on several ranks (only <c>train</c>, <c>search</c> and <c>lm train</c> run across them),
    /// and that every rank runs the same one.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another verb was started on several ranks, or the ranks run different verbs.</exception>
    public static void CheckVerb(string[] args)
    {
        string verb = string.Join(' ', args.Take(args.FirstOrDefault() == "lm" ? 2 : 1));
        if (Current is not { Size: > 1 } job)
            return;
        string[] across = ["train", "search", "lm train"];
        bool runs = across.Contains(verb);
        if (FailedRank(job, !runs) is { } failed) // every rank learns of it, so none is left waiting for the others
            throw new InvalidOperationException(runs ? CouldNotStart(failed) : $"'agd {verb}' runs in one process, and this is rank {job.Rank} of {job.Size}: only 'agd train', " +
                "'agd search' and 'agd lm train' run across MPI ranks (mpiexec -n 2 agd train ...). Run it without mpiexec.");
        RankShare.Agree(job, ("the verb (1 train, 2 search, 3 lm train)", Array.IndexOf(across, verb) + 1));
    }

    /// <summary>
    /// Checks that every rank of the job read the same data and runs the same configuration: a rank given other data or
    /// another option would mix its gradients into the others' silently. The configuration is compared as its run.json
    /// says it but for the paths and what ran it, which may differ from machine to machine for the same run.
    /// </summary>
    /// <param name="fingerprint">The data's fingerprint (<see cref="Jobs.RunConfiguration.Fingerprint"/>, or a text's).</param>
    /// <param name="configuration">The run.json's contents, or null where the library checks the options (a search).</param>
    /// <exception cref="InvalidOperationException">A rank read other data or has another option; the message names which.</exception>
    public static void AgreeOnRun(string fingerprint, object? configuration = null)
    {
        if (Current is not { } job)
            return;
        var options = configuration is null ? [] : JsonSerializer.SerializeToNode(configuration, ModelFolder.Json)!.AsObject()
            .Where(o => o.Key is not ("Data" or "Text" or "Ran" or "DataFingerprint" or "TextFingerprint"))
            .Select(o => o.Value is JsonValue value && value.TryGetValue(out long number) ? (o.Key, number)
                : ($"{o.Key} whose checksum (the first 60 bits of the SHA-256 of its run.json value) is", Checksum(o.Value?.ToJsonString() ?? "null")));
        RankShare.Agree(job, [("data whose fingerprint (the first 60 bits of its rows' SHA-256) is", Convert.ToInt64(fingerprint[..15], 16)), .. options]);
    }

    /// <summary>
    /// Runs what every rank prepares before training (rank 0's check of the output folder, reading the data) and shares
    /// whether it failed anywhere: a rank that failed throws its own error, the others say which rank failed. So every
    /// rank ends by its own error path, removing its temporary files, instead of being killed by the failing rank's abort
    /// while it waits for it.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another rank failed to prepare.</exception>
    public static T Together<T>(Func<T> prepare)
    {
        if (Current is not { Size: > 1 } job)
            return prepare();
        T prepared = default!;
        System.Runtime.ExceptionServices.ExceptionDispatchInfo? failure = null;
        try
        {
            prepared = prepare();
        }
        catch (Exception e)
        {
            failure = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e);
        }
        if (FailedRank(job, failure is not null) is { } rank)
        {
            failure?.Throw();
            throw new InvalidOperationException(CouldNotStart(rank));
        }
        return prepared;
    }

    /// <summary>
    /// Whether every rank of the job is ready to go on (alone: whether this process is); a ready rank that learns of one
    /// that is not says so. A rank whose command line was refused thus ends every rank by its own error path.
    /// </summary>
    public static bool AllReady(bool ready)
    {
        if (Current is not { Size: > 1 } job)
            return ready;
        if (FailedRank(job, !ready) is not { } rank)
            return true;
        if (ready)
            Console.Error.WriteLine($"error: {CouldNotStart(rank)}");
        return false;
    }

    // The first rank that failed, or null: every rank says whether it did, in one sum.
    private static int? FailedRank(MpiCommunicator job, bool failed)
    {
        var flags = new float[job.Size];
        flags[job.Rank] = failed ? 1 : 0;
        job.AllReduceSum(flags);
        return Array.IndexOf(flags, 1f) is >= 0 and var rank ? rank : null;
    }

    private static string CouldNotStart(int rank) => $"Rank {rank} of the job could not start (its error is printed too), so no rank trains.";

    private static long Checksum(string text) => BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes(text)), 0) & ((1L << 60) - 1);

    /// <summary>Ends every rank with the failed rank's exit code, so that none waits for it; alone, returns the code.</summary>
    public static int Failed(int code)
    {
        if (Current is { Size: > 1 } job)
        {
            // The launcher kills every rank at the abort, and what it has not yet passed on of their output is lost: rank 0
            // waits for its message to go, the others (which mostly fail as it does) long enough for rank 0 to abort first.
            Console.Error.Flush();
            RunTemporaryFolder.Remove(endingAtOnce: true); // MPI_Abort ends the process without the runtime's shutdown
            Thread.Sleep(job.Rank == 0 ? 300 : 1500);
            job.Abort(code);
        }
        return code;
    }
}

using Microsoft.ML.Agd.Samples.Cli;
using Microsoft.ML.Agd.Samples.Jobs;
namespace Microsoft.ML.Agd.Samples;

/// <summary>The command-line entry point: <c>agd train | evaluate | predict | compare | search | lm</c>.</summary>
internal static class Program
{
    /// <summary>Runs a verb in a temporary folder of its own, stopped cleanly by Ctrl+C or SIGTERM; returns its exit code.</summary>
    public static int Main(string[] args)
    {
        if (Surroundings.Prepare() is { } unfit)
        {
            Console.Error.WriteLine($"error: {unfit}");
            return 1;
        }
        // .NET reads the arguments as UTF-8 and turns bytes that are not into U+FFFD: a path with them would name another file.
        if (args.FirstOrDefault(a => a.Contains('\uFFFD', StringComparison.Ordinal)) is { } garbled)
        {
            Console.Error.WriteLine($"error: The argument '{garbled}' holds bytes that are not UTF-8 (shown as \uFFFD), which .NET cannot pass on as they are. " +
                "Give text (a prompt) in UTF-8, converted for example with iconv; rename a file or folder of such a name, or give its path through a link with a UTF-8 name.");
            return 1;
        }
        IDisposable? job = null, signals = null;
        try
        {
            job = JobRanks.Join(); // first: a rank that ends before it joins leaves the others waiting
            signals = StopSignals.Listen(); // before the run's temporary folder is made: a signal in between would leave it
            JobRanks.CheckVerb(args);
            JobRanks.Together(() => { RunTemporaryFolder.Enter(); return 0; });
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            signals?.Dispose();
            Console.Error.WriteLine($"error: {e.Message}");
            return JobRanks.Failed(1);
        }
        using (job)
        using (signals)
        {
            int code = Run(args);
            return code is 0 or 130 or 141 or 143 ? code : JobRanks.Failed(code);
        }
    }

    /// <summary>Runs a verb; returns its exit code (0 on success, 1 on an error, which is printed).</summary>
    public static int Run(string[] args)
    {
        // No response files: an argument that starts with @ is a file's name, as the shell gave it (a photo named @home.png).
        var parsed = Commands().Parse(args, new System.CommandLine.ParserConfiguration { ResponseFileTokenReplacer = null });
        int refused = parsed.Errors.Count > 0 ? ParseErrors.Print(parsed) : 0;
        return !JobRanks.AllReady(refused == 0) ? Math.Max(refused, 1) : parsed.Invoke();
    }

    /// <summary>Every verb and its options.</summary>
    public static RootCommand Commands() => new("Train, evaluate and compare image classifiers with Automatic Gradient Descent (no learning rate to tune).")
    {
        TrainCommand.Create(),
        EvaluateCommand.Create(),
        PredictCommand.Create(),
        CompareCommand.Create(),
        SearchCommand.Create(),
        LanguageModelCommand.Create(),
    };
}

using System.Runtime.InteropServices;

namespace Microsoft.ML.Agd.Samples.Cli;

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM, which Kubernetes, systemd, Slurm and Azure ML send to stop a job, are one request: a verb
/// that can stop (training, a search, a comparison) finishes its current batch, keeps what it has and exits with 128 plus
/// the signal's number (130, 143); any other verb, or a second signal, exits at once with that code, its temporary files
/// removed first.
/// </summary>
internal static class StopSignals
{
    private static readonly CancellationTokenSource s_stop = new();
    private static int s_exitCode, s_stoppable;

    /// <summary>
    /// Handles both signals for the rest of the process (dispose to stop). Ctrl+C through Console.CancelKeyPress, which
    /// also hears a SIGINT sent to a process started in the background (where PosixSignalRegistration would not).
    /// </summary>
    public static IDisposable Listen()
    {
        ConsoleCancelEventHandler interrupt = (_, e) =>
        {
            e.Cancel = true;
            Stop(130);
        };
        Console.CancelKeyPress += interrupt;
        var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            Stop(143);
        });
        return new Disposal(() =>
        {
            Console.CancelKeyPress -= interrupt;
            terminate.Dispose();
        });
    }

    /// <summary>
    /// Runs a verb's body with a token that a signal cancels. Returns the body's exit code, or 128 plus the signal's number
    /// when a signal stopped it; a body stopped before it had anything to keep throws <see cref="OperationCanceledException"/>,
    /// whose message is printed.
    /// </summary>
    public static int Stoppable(Func<CancellationToken, int> body)
    {
        Interlocked.Increment(ref s_stoppable);
        try
        {
            int code = body(s_stop.Token);
            return s_stop.IsCancellationRequested ? Volatile.Read(ref s_exitCode) : code;
        }
        catch (OperationCanceledException e)
        {
            AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(e.Message)}[/]");
            return Volatile.Read(ref s_exitCode) is > 0 and var code ? code : 130; // the shell's code for a run stopped by Ctrl+C
        }
        finally
        {
            Interlocked.Decrement(ref s_stoppable);
        }
    }

    /// <summary>
    /// The reader of the standard output has gone (a pipe into head that ended): stops the verb as SIGPIPE, exit 141, would,
    /// a stoppable verb after its current batch with what it has kept.
    /// </summary>
    public static void OutputClosed() => Stop(141);

    // The first signal stops a stoppable verb; a second one, or one during any other verb, exits now.
    private static void Stop(int code)
    {
        if (Interlocked.CompareExchange(ref s_exitCode, code, 0) != 0 || Volatile.Read(ref s_stoppable) == 0)
            ExitNow(code);
        s_stop.Cancel();
    }

    // The work may be inside libtorch on another thread: exit()'s teardown of libtorch's globals under it crashes the
    // process (exit 139) or prints native traces. So the run's temporary files (its folder, a staging folder, the
    // runtime's pipes) are removed here and the process ends through _exit, which runs no teardown; Environment.Exit
    // where there is no C library to call.
    private static void ExitNow(int code)
    {
        Jobs.RunTemporaryFolder.Remove(endingAtOnce: true);
        Console.Out.Flush();
        Console.Error.Flush();
        if (!OperatingSystem.IsWindows() && (NativeLibrary.TryLoad("libc.so.6", out var libc) || NativeLibrary.TryLoad("libc", out libc))
            && NativeLibrary.TryGetExport(libc, "_exit", out var exit))
            Marshal.GetDelegateForFunctionPointer<ExitImmediately>(exit)(code);
        Environment.Exit(code);
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void ExitImmediately(int code);
}

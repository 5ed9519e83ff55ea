using System.Runtime.InteropServices;

namespace Microsoft.ML.Agd.Samples.Cli;

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM, which Kubernetes, systemd, Slurm and Azure ML send to stop a job, are one request: a verb
/// that can stop (training, a search, a comparison) finishes its current batch, keeps what it has and exits with 128 plus
/// the signal's number (130, 143); any other verb, or a second signal, exits at once with that code. Either way the
/// process ends normally, so that its temporary files are removed.
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
        return new Registrations(() =>
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

    // The first signal stops a stoppable verb; a second one, or one during any other verb, exits now. Either way the
    // process ends through the runtime's normal shutdown, not its default handling of the signal.
    private static void Stop(int code)
    {
        if (Interlocked.CompareExchange(ref s_exitCode, code, 0) != 0 || Volatile.Read(ref s_stoppable) == 0)
            Environment.Exit(code);
        s_stop.Cancel();
    }

    private sealed class Registrations(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }
}

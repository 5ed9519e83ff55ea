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

    /// <summary>Handles both signals for the rest of the process (dispose to stop).</summary>
    public static IDisposable Listen() => new Registrations([PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal), PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal)]);

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

    private static void OnSignal(PosixSignalContext context)
    {
        int code = 128 + (context.Signal == PosixSignal.SIGTERM ? 15 : 2);
        context.Cancel = true; // the process ends through Main, not by the runtime's default handling
        if (Interlocked.CompareExchange(ref s_exitCode, code, 0) != 0 || Volatile.Read(ref s_stoppable) == 0)
            Environment.Exit(code);
        s_stop.Cancel();
    }

    private sealed class Registrations(PosixSignalRegistration[] registrations) : IDisposable
    {
        public void Dispose()
        {
            foreach (var registration in registrations)
                registration.Dispose();
        }
    }
}

using System.Globalization;
using System.Runtime.InteropServices;

namespace Microsoft.ML.Agd.Samples.Cli;

/// <summary>
/// What agd needs of the process it starts in, checked first: a working folder that exists, standard streams that are
/// open, and numbers read and written the same way in every locale (a German LANG would read "0.5" as 5).
/// </summary>
internal static partial class Surroundings
{
    /// <summary>Makes the process fit to run a verb; returns why it cannot, or null.</summary>
    public static string? Prepare()
    {
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.DefaultThreadCurrentUICulture = CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        // A closed standard stream's number goes to the next file opened (the runtime opens some before Main), and the
        // console would write into that file or fail: errors then go nowhere, and output is refused.
        if (!Writable(2))
            Console.SetError(TextWriter.Null);
        if (!Writable(1))
            return "agd's standard output is closed (>&-), so what it prints would be lost: send it to a file or to /dev/null instead (> out.txt).";
        Console.SetOut(TextWriter.Synchronized(new StandardOutput(PipeOutput() ?? Console.Out)));
        _ = Console.Error; // opened now: with no descriptor left later, an error could not even be said
        if (RaiseOpenFileLimit() is { } limit and < FilesNeeded)
            return $"agd may open only {limit} files at once (ulimit -n {limit}), and the .NET runtime, libtorch and ONNX Runtime need at least {FilesNeeded}: " +
                $"raise the limit (ulimit -n 1024) and run agd again.";
        try
        {
            _ = Environment.CurrentDirectory;
        }
        catch (IOException)
        {
            return "the working folder no longer exists (it was deleted after this shell entered it), so relative paths name nothing: cd to a folder that exists and run agd again.";
        }
        return null;
    }

    // A small training run opens about 110 files (the runtime's, libtorch's and ONNX Runtime's libraries among them).
    private const ulong FilesNeeded = 256;

    // Raises the soft limit on open files to the hard one, as the system lets any process; returns the limit now in
    // force, or null where it cannot be read (not Linux).
    private static ulong? RaiseOpenFileLimit()
    {
        const int openFiles = 7; // RLIMIT_NOFILE
        if (!OperatingSystem.IsLinux() || GetLimit(openFiles, out var limit) != 0)
            return null;
        if (limit.Soft < limit.Hard && SetLimit(openFiles, limit with { Soft = limit.Hard }) == 0)
            return limit.Hard;
        return limit.Soft;
    }

    [StructLayout(LayoutKind.Sequential)]
    private record struct ResourceLimit(ulong Soft, ulong Hard);

    [LibraryImport("libc", EntryPoint = "getrlimit")]
    private static partial int GetLimit(int resource, out ResourceLimit limit);

    [LibraryImport("libc", EntryPoint = "setrlimit")]
    private static partial int SetLimit(int resource, in ResourceLimit limit);

    // The standard output, whose write failures (a full disk, /dev/full) say that it is the output that failed, and whose
    // reader going away (agd lm generate | head) stops the verb as SIGPIPE would stop cat.
    private sealed class StandardOutput(TextWriter inner) : TextWriter
    {
        private const int BrokenPipe = 32; // EPIPE: .NET's HResult of such an IOException on Unix
        private int _readerGone;

        public override System.Text.Encoding Encoding => inner.Encoding;

        public override void Write(char value) => Guard(() => inner.Write(value));

        public override void Write(char[] buffer, int index, int count) => Guard(() => inner.Write(buffer, index, count));

        public override void Write(string? value) => Guard(() => inner.Write(value));

        public override void Flush() => Guard(inner.Flush);

        private void Guard(Action write)
        {
            if (Volatile.Read(ref _readerGone) != 0)
                return;
            try
            {
                write();
            }
            catch (IOException e) when (e.HResult == BrokenPipe)
            {
                if (Interlocked.Exchange(ref _readerGone, 1) == 0)
                    StopSignals.OutputClosed();
            }
            catch (IOException e)
            {
                throw new IOException($"agd's standard output cannot be written ({e.Message}), so what it prints would be lost: send it to a file on a disk with room, or to /dev/null.", e);
            }
        }
    }

    // The console ignores a write into a pipe whose reader has gone (EPIPE), so into a pipe or a socket agd writes itself;
    // elsewhere (a terminal, a file that stderr may share) through the console.
    private static TextWriter? PipeOutput()
    {
        if (!OperatingSystem.IsLinux() || new FileInfo("/proc/self/fd/1").LinkTarget is not { } target
            || !(target.StartsWith("pipe:", StringComparison.Ordinal) || target.StartsWith("socket:", StringComparison.Ordinal)))
            return null;
        var stream = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);
        return new StreamWriter(stream, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false)) { AutoFlush = true };
    }

    // Whether a descriptor is open for writing (where the system can tell: Linux).
    private static bool Writable(int descriptor)
    {
        if (!OperatingSystem.IsLinux())
            return true;
        const int GetStatusFlags = 3, AccessMode = 3, WriteOnly = 1, ReadWrite = 2;
        int flags = Fcntl(descriptor, GetStatusFlags);
        return flags != -1 && (flags & AccessMode) is WriteOnly or ReadWrite;
    }

    [LibraryImport("libc", EntryPoint = "fcntl")]
    private static partial int Fcntl(int descriptor, int command);
}

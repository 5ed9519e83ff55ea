using System.Runtime.InteropServices;

namespace Microsoft.ML.Agd.Native;

/// <summary>
/// Lowers the calling thread's scheduling priority, for work that should take a core only when training leaves one.
/// libtorch's OpenMP threads wait for each other at the end of every parallel operation, so a thread that preempts one
/// of them stalls them all; at the lowest priority the scheduler mostly runs it when a core would otherwise idle.
/// </summary>
internal static partial class BackgroundPriority
{
    private const int ProcessPriority = 0; // PRIO_PROCESS: on Linux, with a thread id, one thread's nice value
    private const int Lowest = 19;

    /// <summary>Lowers the calling thread to the lowest priority; where that is not allowed or not supported, leaves it as it is.</summary>
    public static void LowerCurrentThread()
    {
        try
        {
            if (OperatingSystem.IsLinux())
                _ = SetPriority(ProcessPriority, GetThreadId(), Lowest); // lowering needs no privilege; a refusal leaves the default
            else
                Thread.CurrentThread.Priority = ThreadPriority.Lowest; // .NET applies it on Windows and macOS
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or PlatformNotSupportedException)
        {
            // A C library without gettid (glibc before 2.30, some musl builds): the thread keeps its priority.
        }
    }

    [LibraryImport("libc", EntryPoint = "setpriority")]
    private static partial int SetPriority(int which, int who, int priority);

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetThreadId();
}

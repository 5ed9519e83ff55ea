using System.Runtime.InteropServices;

namespace Microsoft.ML.Agd.Native;

/// <summary>
/// Has glibc keep the memory libtorch frees for its next tensors instead of handing it back to the kernel at once. With
/// <see cref="HugePages"/>, libtorch aligns every block of 2 MB or more to 2 MB, and glibc's adaptive settings returned
/// such blocks when freed (trimming the top of the heap, unmapping blocks of 32 MB and more), so every training step
/// faulted them in again: allocating a 4 to 16 MB tensor took 6 to 9 ms on a 2-core virtual machine, 0.07 to 0.3 ms once
/// the memory is reused, and ResNet-18's training iteration was about a sixth slower (benchmark section 22). Blocks under
/// 64 MB come from the heap, and up to 128 MB freed at its top stays mapped, as glibc's M_MMAP_THRESHOLD and
/// M_TRIM_THRESHOLD set them; larger blocks are mapped and unmapped as before. PyTorch's caching allocators keep freed
/// blocks likewise on GPUs. An application that tunes glibc's allocator itself (GLIBC_TUNABLES names a glibc.malloc
/// tunable) keeps its settings; other C libraries have no such settings and are left alone.
/// </summary>
internal static partial class FreedMemory
{
    /// <summary>Blocks from this size up are mapped for themselves, and unmapped when freed.</summary>
    public const int MappedFrom = 64 << 20;

    /// <summary>Free memory at the top of the heap beyond this is handed back to the kernel.</summary>
    public const int KeptAtTop = 128 << 20;

    private const int TrimThreshold = -1, MmapThreshold = -3; // mallopt's parameters, from glibc's malloc.h

    private static int s_set;

    /// <summary>Sets glibc's allocator to keep freed memory for reuse, once per process, unless the application tunes it.</summary>
    public static void KeepForReuse()
    {
        if (!OperatingSystem.IsLinux() || Interlocked.Exchange(ref s_set, 1) == 1
            || Environment.GetEnvironmentVariable("GLIBC_TUNABLES")?.Contains("glibc.malloc.", StringComparison.Ordinal) == true)
            return;
        try
        {
            _ = Mallopt(MmapThreshold, MappedFrom);
            _ = Mallopt(TrimThreshold, KeptAtTop);
        }
        catch (EntryPointNotFoundException)
        {
            // musl and other C libraries without glibc's mallopt: their allocators are left as they are
        }
    }

    /// <summary>
    /// Hands the free memory glibc keeps back to the kernel (malloc_trim), so that the process's resident memory is what it
    /// holds: a large batch's freed blocks in the middle of the heap would otherwise stay resident, and count as used, until
    /// the next training run reused them. Other C libraries are left alone.
    /// </summary>
    public static void GiveBack()
    {
        if (!OperatingSystem.IsLinux())
            return;
        try
        {
            _ = MallocTrim(0);
        }
        catch (EntryPointNotFoundException)
        {
            // musl and other C libraries without glibc's malloc_trim
        }
    }

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int Mallopt(int parameter, int value);
}

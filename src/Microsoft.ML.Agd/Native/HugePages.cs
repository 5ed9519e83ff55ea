namespace Microsoft.ML.Agd.Native;

/// <summary>
/// Has libtorch ask Linux for huge pages (2 MB) for its large CPU tensors. glibc maps each block of 32 MB or more afresh
/// from the kernel and unmaps it when freed, so every training step faults its large buffers (a convolution's unfolded
/// input, a large batch's activations) in again, 4 KB at a time: ResNet-18's forward and backward passes ran 2 to 4 times
/// slower per image at batch 512 than at 64 on a 2-core virtual machine for that alone. With huge pages a 64 MB block
/// faults in 32 times, not 16,384, and the process holds no more memory. libtorch offers this (THP_MEM_ALLOC_ENABLE) but
/// leaves it off; the library turns it on unless the application set the variable, where Linux's transparent huge
/// pages are enabled ("madvise" or "always", as most distributions ship them).
/// </summary>
internal static class HugePages
{
    // libtorch reads it once, at its first allocation, and then advises huge pages for every block of 2 MB or more.
    public const string Variable = "THP_MEM_ALLOC_ENABLE";

    /// <summary>Turns libtorch's huge pages on, unless the application set the variable; before libtorch's first allocation.</summary>
    public static void Enable()
    {
        if (OperatingSystem.IsLinux())
            NativeEnvironment.Set(Variable, "1", replace: false);
    }
}

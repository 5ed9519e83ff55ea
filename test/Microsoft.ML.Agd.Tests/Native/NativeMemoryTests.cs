using System.Runtime.InteropServices;

namespace Microsoft.ML.Agd.Tests.Native;

/// <summary>How libtorch's CPU memory is obtained: huge pages for large blocks, freed blocks kept for reuse, and the variables native code reads.</summary>
[TestClass]
public partial class NativeMemoryTests
{
    private const long Megabyte = 1 << 20, Page = 4096;

    // glibc's allocator, as libtorch's loading sets it.
    private static void GlibcLoaded()
    {
        if (!OperatingSystem.IsLinux())
            Assert.Inconclusive("glibc's allocator is Linux's.");
        TorchNative.EnsureLoaded();
    }

    // Fields of Linux's /proc/self/stat counted after the command name: the 10th is the process's minor page faults.
    private static long MinorFaults() => long.Parse(File.ReadAllText("/proc/self/stat").Split(") ")[1].Split(' ')[7]);

    [TestMethod]
    [DoNotParallelize] // counts the process's page faults, which other tests' training would add to
    public void ALargeTensorFaultsItsMemoryInByHugePages()
    {
        const string setting = "/sys/kernel/mm/transparent_hugepage/enabled";
        if (!OperatingSystem.IsLinux() || !File.Exists(setting) || File.ReadAllText(setting).Contains("[never]"))
            Assert.Inconclusive("Linux's transparent huge pages are off here.");
        TorchNative.EnsureLoaded();
        const long bytes = 40 * Megabyte; // above the 32 MB that glibc maps afresh from the kernel for every block
        long before = MinorFaults();
        using (var block = torch.zeros(bytes / sizeof(float))) // written whole
        {
        }
        long faults = MinorFaults() - before;
        Assert.IsTrue(faults < bytes / Page / 8, $"a block of {bytes / Page} pages of 4 KB faulted {faults} times");
    }

    [TestMethod]
    [DoNotParallelize] // counts the process's page faults
    public void AFreedBlockIsReusedWithoutFaultingItsMemoryInAgain()
    {
        GlibcLoaded();
        // 16 MB: libtorch aligns it to 2 MB for huge pages, and glibc's adaptive settings handed it back to the kernel when
        // freed, so each allocation faulted its 8 huge pages (or 4,096 small ones) in again.
        const long bytes = 16 * Megabyte;
        torch.zeros(bytes / sizeof(float)).Dispose();
        long before = MinorFaults();
        for (int i = 0; i < 4; i++)
            torch.zeros(bytes / sizeof(float)).Dispose(); // written whole, each time
        long faults = MinorFaults() - before;
        Assert.IsTrue(faults < bytes / (2 * Megabyte), $"four blocks of {bytes / Megabyte} MB, each freed before the next, faulted {faults} times");
    }

    [TestMethod]
    [DoNotParallelize] // measures the process's resident memory
    public void FreedMemoryKeptForReuseIsNotCountedAsHeldWhenTheNextRunIsChecked()
    {
        GlibcLoaded();
        // A large batch's activations: blocks under the 64 MB that glibc maps for themselves come from the heap. Every other
        // one is freed, so each freed block lies between two held ones (as a run's freed batches lie between the weights,
        // the data and the model it keeps), and glibc is told to trim no top, so the freed blocks stay resident.
        const int blocks = 48;
        const long bytes = 16 * Megabyte, freed = blocks / 2 * bytes;
        FreedMemory.GiveBack(); // earlier tests' freed memory, so that the blocks below take new pages
        long before = Environment.WorkingSet;
        _ = Mallopt(TrimThreshold, int.MaxValue);
        var batch = Enumerable.Range(0, blocks).Select(_ => torch.ones(bytes / sizeof(float))).ToList();
        try
        {
            for (int i = 0; i < blocks; i += 2)
                batch[i].Dispose();
            long kept = Environment.WorkingSet - before - (blocks - blocks / 2) * bytes;
            Assert.IsTrue(kept > freed / 2, $"glibc kept {kept / Megabyte} MB of the {freed / Megabyte} MB freed resident: the case this test is about");
            double counted = TrainingMemory.InUse - before - (blocks - blocks / 2) * bytes;
            Assert.IsTrue(counted < freed / 8, $"the check counts {counted / Megabyte:F0} MB of freed memory as held");
        }
        finally
        {
            batch.ForEach(t => t.Dispose());
            _ = Mallopt(TrimThreshold, FreedMemory.KeptAtTop);
        }
    }

    [TestMethod]
    public void AVariableIsSetForNativeCodeAndAValueAlreadySetIsKeptUnlessReplaced()
    {
        if (OperatingSystem.IsWindows())
            Assert.Inconclusive("On Windows native code reads .NET's own environment.");
        string name = $"AGD_TEST_{Guid.NewGuid():N}";
        NativeEnvironment.Set(name, "first", replace: false);
        Assert.AreEqual("first", NativeValue(name));
        NativeEnvironment.Set(name, "second", replace: false);
        Assert.AreEqual("first", NativeValue(name), "a value already set is kept");
        NativeEnvironment.Set(name, "third", replace: true);
        Assert.AreEqual("third", NativeValue(name));
        Assert.IsNull(Environment.GetEnvironmentVariable(name), ".NET's own copy is not what native code reads");
        Assert.AreEqual("1", NativeValue(HugePages.Variable), "libtorch was asked for huge pages before it loaded");
    }

    private static string? NativeValue(string name) => Marshal.PtrToStringUTF8(GetEnvironmentVariable(name));

    private const int TrimThreshold = -1; // mallopt's M_TRIM_THRESHOLD, from glibc's malloc.h

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int Mallopt(int parameter, int value);

    [LibraryImport("libc", EntryPoint = "getenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr GetEnvironmentVariable(string name);
}

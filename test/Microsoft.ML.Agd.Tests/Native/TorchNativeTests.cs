using Microsoft.ML.Agd.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Tests.Native;

[TestClass]
public class TorchNativeTests
{
    [TestMethod]
    public void NativeBackendLoadsAndComputes()
    {
        TorchNative.EnsureLoaded();
        using var a = tensor(new float[] { 1, 2, 3, 4 }, 2, 2);
        using var b = a.matmul(a);
        CollectionAssert.AreEqual(new float[] { 7, 10, 15, 22 }, b.data<float>().ToArray());
    }

    [TestMethod]
    public void CompatibilityCopyIsUsedOnlyWhereTheSystemLacksTheMarkerVersion()
    {
        bool systemHasMarker = SystemLibStdCxxVersions().Contains(TorchNative.MarkerVersion);
        if (systemHasMarker)
            Assert.IsNull(TorchNative.CompatibilityCopyPath, "TorchSharp's own library must be used unchanged where libstdc++ is new enough.");
        else
            Assert.IsNotNull(TorchNative.CompatibilityCopyPath, "An older libstdc++ needs the compatibility copy.");
    }

    [TestMethod]
    public void MarkingTheMarkerVersionWeakChangesOnlyItsFlags()
    {
        string original = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        byte[] before = File.ReadAllBytes(original);
        var image = new ElfImage((byte[])before.Clone());

        Assert.IsTrue(image.MarkVersionWeak(TorchNative.MarkerVersion));

        var required = image.RequiredVersions();
        Assert.IsTrue(required.Single(v => v.Version == TorchNative.MarkerVersion).Weak);
        Assert.IsTrue(required.Where(v => v.Version != TorchNative.MarkerVersion).All(v => !v.Weak));
        Assert.AreEqual(before.Length, image.Bytes.Length);
        int changed = Enumerable.Range(0, before.Length).Count(i => before[i] != image.Bytes[i]);
        Assert.AreEqual(1, changed, "Setting VER_FLG_WEAK changes a single byte of a little-endian flags field.");
        CollectionAssert.Contains(image.NeededLibraries().ToList(), "libtorch_cpu.so");
    }

    [TestMethod]
    public void MarkVersionWeakReportsAnAbsentVersion()
    {
        string original = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.IsFalse(new ElfImage(File.ReadAllBytes(original)).MarkVersionWeak("GLIBCXX_9.9.9"));
    }

    [TestMethod]
    public void ElfImageRejectsOtherFiles()
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() => new ElfImage(new byte[100]));
        StringAssert.Contains(e.Message, "Not an ELF file");
    }

    // The versions the system's libstdc++ defines, read from its own .gnu.version_d strings.
    private static HashSet<string> SystemLibStdCxxVersions()
    {
        string path = File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Last())
            .First(p => p.Contains("libstdc++.so", StringComparison.Ordinal));
        string text = System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(path));
        return System.Text.RegularExpressions.Regex.Matches(text, @"GLIBCXX_\d+\.\d+(\.\d+)?").Select(m => m.Value).ToHashSet();
    }
}

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
    [TestCategory(TestSetup.Integration)]
    public void AnApplicationThatCallsTorchSharpFirstWorksOrGetsTheLibrarysOwnAdvice()
    {
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        string app = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "Microsoft.ML.Agd.TorchFirstApp", "bin", configuration, "net10.0", "Microsoft.ML.Agd.TorchFirstApp.dll"));
        Assert.IsTrue(File.Exists(app), app);
        var start = new System.Diagnostics.ProcessStartInfo("dotnet", [app]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var child = System.Diagnostics.Process.Start(start)!;
        var error = child.StandardError.ReadToEndAsync();
        string output = child.StandardOutput.ReadToEnd();
        Assert.IsTrue(child.WaitForExit(120_000), "The child process did not finish.");

        if (SystemLibStdCxxVersions().Contains(TorchNative.MarkerVersion))
        {
            Assert.AreEqual("torch: ok\nagd: ok\n", output.ReplaceLineEndings("\n"), error.Result);
            return;
        }
        // TorchSharp fails its own way and remembers it; the library's message then says what to call first, and to restart.
        var lines = output.Split('\n');
        Assert.AreEqual("torch: TypeInitializationException", lines.Single(l => l.StartsWith("torch: ", StringComparison.Ordinal)));
        string advice = lines.Single(l => l.StartsWith("agd: ", StringComparison.Ordinal));
        StringAssert.Contains(advice, "TorchSharp was used before Microsoft.ML.Agd");
        StringAssert.Contains(advice, "Call Microsoft.ML.Agd.Native.TorchNative.EnsureLoaded() before the first TorchSharp call");
        StringAssert.Contains(advice, "restart the process");
    }

    [TestMethod]
    public void MessagesNameTheNativePackagesAtTheVersionsInUse()
    {
        // The versions the test application restored, from its own dependency manifest.
        string deps = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Microsoft.ML.Agd.Tests.deps.json"));
        string Restored(string package) => System.Text.RegularExpressions.Regex.Match(deps, $"\"{package}/([0-9.]+)\"").Groups[1].Value;
        Assert.AreEqual(Restored("libtorch-cpu-linux-x64"), TorchNative.PackageVersion("LibTorchVersion"));
        Assert.AreEqual(Restored("TorchSharp"), TorchNative.PackageVersion("TorchSharpVersion"));
        Assert.AreNotEqual(TorchNative.PackageVersion("LibTorchVersion"), TorchNative.PackageVersion("TorchSharpVersion"));
    }

    // Every version requirement of an ELF file with its flags, as `readelf -V` prints them ("Name: X  Flags: none").
    private static List<(string Name, string Flags)> ReadElfVersionFlags(byte[] elf)
    {
        string file = Path.Combine(Path.GetTempPath(), $"agd-elf-{Guid.NewGuid():N}.so");
        File.WriteAllBytes(file, elf);
        try
        {
            using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("readelf", ["-V", file]) { RedirectStandardOutput = true })!;
            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return System.Text.RegularExpressions.Regex.Matches(output, @"Name: (\S+)\s+Flags: (\S+)").Select(m => (m.Groups[1].Value, m.Groups[2].Value)).ToList();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Assert.Inconclusive("binutils' readelf is not installed, so the patched flags are not read back independently.");
            throw;
        }
        finally
        {
            File.Delete(file);
        }
    }

    [TestMethod]
    public void MarkingTheMarkerVersionWeakChangesOnlyItsFlags()
    {
        string original = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        byte[] before = File.ReadAllBytes(original);
        var image = new ElfImage((byte[])before.Clone());

        Assert.IsTrue(image.MarkVersionWeak(TorchNative.MarkerVersion));

        // binutils' readelf, an independent reader of the version requirements, sees the marker weak and nothing else.
        var flags = ReadElfVersionFlags(image.Bytes);
        Assert.AreEqual("WEAK", flags.Single(f => f.Name == TorchNative.MarkerVersion).Flags);
        Assert.IsTrue(flags.Where(f => f.Name != TorchNative.MarkerVersion).All(f => f.Flags == "none"), string.Join(", ", flags));
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

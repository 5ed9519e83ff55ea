using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using System.Security.Cryptography;
using TorchSharp;

namespace Microsoft.ML.Agd.Native;

/// <summary>
/// Loads TorchSharp's native backend, including on Linux distributions whose libstdc++ predates GCC 13
/// (Debian 12, Ubuntu 22.04), and explains clearly what is missing when it cannot be loaded.
/// </summary>
/// <remarks>
/// TorchSharp 0.107's libLibTorchSharp.so requires the libstdc++ version GLIBCXX_3.4.32 for a single marker symbol
/// that nothing binds. Where the system lacks that version, and only there, a copy of the library with that one
/// requirement marked weak is written to a per-user cache and loaded in its place. Nothing changes elsewhere.
/// This happens automatically as soon as any type of this library is used; call <see cref="EnsureLoaded"/> first
/// when an application touches TorchSharp before it touches this library.
/// </remarks>
public static class TorchNative
{
    /// <summary>The libstdc++ version that TorchSharp asks for and older systems lack.</summary>
    internal const string MarkerVersion = "GLIBCXX_3.4.32";

    private const string LibraryName = "LibTorchSharp";
    private const string LibraryFile = "libLibTorchSharp.so";

    private static readonly Lazy<IntPtr> s_compatibleCopy = new(LoadCompatibleCopy);
    private static string? s_loadError;
    private static int s_hooked;

    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "The hook must be in place before TorchSharp's first native call, whichever of our types comes first.")]
    internal static void Hook()
    {
        if (Interlocked.Exchange(ref s_hooked, 1) == 0 && OperatingSystem.IsLinux())
            AssemblyLoadContext.Default.ResolvingUnmanagedDll += OnResolvingUnmanagedDll;
    }

    /// <summary>The environment variable that overrides the convolution remedy: <c>auto</c> (the self-test decides), <c>none</c> or <c>all</c>.</summary>
    public const string RemedyVariable = "AGD_CONVOLUTION_REMEDY";

    /// <summary>
    /// Loads the native backend for a device type and, once per process, runs the convolution self-test
    /// (<see cref="ConvolutionCheck"/>); or throws an <see cref="InvalidOperationException"/> that says why the backend
    /// could not be loaded and what to do.
    /// </summary>
    /// <param name="deviceType">CPU, or CUDA where a CUDA backend package is referenced.</param>
    public static void EnsureLoaded(DeviceType deviceType = DeviceType.CPU)
    {
        Hook();
        HugePages.Enable(); // read at libtorch's first allocation
        FreedMemory.KeepForReuse();
        try
        {
            torch.InitializeDeviceType(deviceType);
        }
        catch (Exception e) when (e is NotSupportedException or DllNotFoundException or TypeInitializationException or InvalidOperationException)
        {
            throw new InvalidOperationException(Diagnose(deviceType, e), e);
        }
        _ = s_check.Value;
    }

    /// <summary>The path of the patched copy in use, or null when TorchSharp's own library loaded as it is.</summary>
    internal static string? CompatibilityCopyPath { get; private set; }

    /// <summary>
    /// What the self-test of float32 convolutions found on this machine, and the remedy in force: where the test finds a
    /// wrong result, every convolution of the process runs without oneDNN from the moment the backend loads.
    /// </summary>
    internal static ConvolutionCheck ConvolutionCheck
    {
        get
        {
            EnsureLoaded();
            return s_check.Value;
        }
    }

    private static readonly Lazy<ConvolutionCheck> s_check = new(CheckConvolutions);

    private static ConvolutionCheck CheckConvolutions()
    {
        // NNPACK, which libtorch tries for a float32 convolution that oneDNN does not take, fails to initialise on the CPUs
        // measured and says so on stderr at every such convolution; libtorch's own kernels take those instead.
        if (LibTorchSwitches.Available)
            LibTorchSwitches.SetNnpack(false);
        var cases = ConvolutionSelfTest.Run();
        var forced = Environment.GetEnvironmentVariable(RemedyVariable)?.Trim().ToLowerInvariant() switch
        {
            null or "" or "auto" => (ConvolutionRemedy?)null,
            "none" => ConvolutionRemedy.None,
            "all" => ConvolutionRemedy.AllConvolutionsWithoutOneDnn,
            var other => throw new InvalidOperationException($"Environment variable {RemedyVariable} is '{other}'; use auto (the default), none or all."),
        };
        var check = new ConvolutionCheck(cases, forced ?? ConvolutionSelfTest.Decide(cases), forced is not null);
        if (check.Remedy == ConvolutionRemedy.AllConvolutionsWithoutOneDnn)
        {
            if (!LibTorchSwitches.Available)
                throw new InvalidOperationException($"libtorch computes wrong float32 convolutions on this CPU ({check}), and this libtorch build does not let " +
                    "the library turn oneDNN off. Use the libtorch version this package was built with.");
            LibTorchSwitches.SetOneDnn(false);
        }
        return check;
    }

    private static string Diagnose(DeviceType deviceType, Exception e)
    {
        if (e is TypeInitializationException && OperatingSystem.IsLinux() && !s_compatibleCopy.IsValueCreated && s_compatibleCopy.Value != IntPtr.Zero && CompatibilityCopyPath is not null)
            return "TorchSharp was used before Microsoft.ML.Agd, and on this system (its libstdc++ lacks " + MarkerVersion + ") TorchSharp cannot load its " +
                   "native library without this library's help; TorchSharp keeps that failure for the life of the process. Call " +
                   "Microsoft.ML.Agd.Native.TorchNative.EnsureLoaded() before the first TorchSharp call (for example as the first line of Main) and restart the process.";
        string backend = deviceType == DeviceType.CUDA
            ? $"TorchSharp-cuda-linux or TorchSharp-cuda-windows, version {PackageVersion("TorchSharpVersion")}"
            : $"TorchSharp-cpu, version {PackageVersion("TorchSharpVersion")} (or on Linux libtorch-cpu-linux-x64, version {PackageVersion("LibTorchVersion")})";
        string detail = s_loadError ?? e.Message.Split('\n')[0];
        return $"TorchSharp's native backend for {deviceType} could not be loaded: {detail}. " +
               $"The application (not only a library) must reference the native package {backend}.";
    }

    // The versions this library was built against, recorded by its project file.
    internal static string PackageVersion(string key)
        => typeof(TorchNative).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    private static IntPtr OnResolvingUnmanagedDll(Assembly assembly, string name)
        => name == LibraryName ? s_compatibleCopy.Value : IntPtr.Zero;

    private static IntPtr LoadCompatibleCopy()
    {
        string? original = FindNative(LibraryFile);
        if (original is null)
        {
            s_loadError = $"{LibraryFile} was not found in the application's native search directories";
            return IntPtr.Zero;
        }
        try
        {
            return NativeLibrary.Load(original);
        }
        catch (DllNotFoundException e) when (e.Message.Contains(MarkerVersion, StringComparison.Ordinal))
        {
            return LoadPatched(original);
        }
        catch (DllNotFoundException e)
        {
            s_loadError = e.Message;
            return IntPtr.Zero;
        }
    }

    private static IntPtr LoadPatched(string original)
    {
        var image = new ElfImage(File.ReadAllBytes(original));
        // The copy lives elsewhere, so its $ORIGIN no longer finds libtorch: load what it needs from beside the original.
        foreach (string needed in image.NeededLibraries())
        {
            string sibling = Path.Combine(Path.GetDirectoryName(original)!, needed);
            if (File.Exists(sibling))
                NativeLibrary.Load(sibling);
        }
        image.MarkVersionWeak(MarkerVersion);
        return LoadFromCache(image.Bytes);
    }

    // Loaded from the first of the cache's places where the copy can be written and loaded: the user's local data (where
    // HOME exists), else the temporary folder. A file system mounted noexec takes the copy but cannot map it.
    private static IntPtr LoadFromCache(byte[] bytes)
    {
        string hash = Convert.ToHexString(SHA256.HashData(bytes))[..16].ToLowerInvariant();
        var failures = new List<string>();
        foreach (string root in CacheRoots())
            try
            {
                string copy = WriteToCache(Path.Combine(root, "Microsoft.ML.Agd", "native", hash), bytes);
                var handle = NativeLibrary.Load(copy);
                CompatibilityCopyPath = copy;
                return handle;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                failures.Add($"{root}: {e.Message}");
            }
            catch (DllNotFoundException e)
            {
                failures.Add($"{root}: the copy could not be loaded from there ({e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].Trim()})");
            }
        throw new IOException($"libtorch's CPU library is loaded from a copy marked for this CPU, and no place for the copy could be written and loaded " +
            $"({string.Join("; ", failures)}). Set HOME or TMPDIR to a folder this user can write, on a file system that allows programs (not mounted noexec).");
    }

    private static IEnumerable<string> CacheRoots()
    {
        string local = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        if (!string.IsNullOrEmpty(local) && Directory.Exists(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile, Environment.SpecialFolderOption.DoNotVerify)))
            yield return local;
        yield return Path.Combine(Path.GetTempPath(), $"agd-{Environment.UserName}");
    }

    private static string WriteToCache(string directory, byte[] bytes)
    {
        string path = Path.Combine(directory, LibraryFile);
        if (File.Exists(path) && File.ReadAllBytes(path).AsSpan().SequenceEqual(bytes))
            return path;
        Directory.CreateDirectory(directory);
        // Write then rename, so that concurrent processes never load a half-written file.
        string temporary = Path.Combine(directory, $"{Guid.NewGuid():N}.tmp");
        File.WriteAllBytes(temporary, bytes);
        File.Move(temporary, path, overwrite: true);
        return path;
    }

    private static string? FindNative(string file)
    {
        var directories = (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") as string ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append(Path.GetDirectoryName(typeof(torch).Assembly.Location) ?? "")
            .Append(AppContext.BaseDirectory);
        return directories.Select(d => Path.Combine(d, file)).FirstOrDefault(File.Exists);
    }
}

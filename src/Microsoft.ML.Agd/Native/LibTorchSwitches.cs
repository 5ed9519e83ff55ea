using System.Runtime.InteropServices;
using TorchSharp;

namespace Microsoft.ML.Agd.Native;

/// <summary>
/// libtorch's process-wide backend switches (at::globalContext().setUserEnabledMkldnn / NNPACK), which TorchSharp does
/// not expose. They are read when an operator picks its kernel, so a backward pass sees the value they have when it runs.
/// </summary>
internal static unsafe class LibTorchSwitches
{
    // Itanium (Linux, macOS) and MSVC (Windows) names of the same C++ members.
    private static readonly string[] s_globalContext = ["_ZN2at13globalContextEv", "?globalContext@at@@YAAEAVContext@1@XZ"];
    private static readonly string[] s_setMkldnn = ["_ZN2at7Context20setUserEnabledMkldnnEb", "?setUserEnabledMkldnn@Context@at@@QEAAX_N@Z"];
    private static readonly string[] s_getMkldnn = ["_ZNK2at7Context17userEnabledMkldnnEv", "?userEnabledMkldnn@Context@at@@QEBA_NXZ"];
    private static readonly string[] s_setNnpack = ["_ZN2at7Context20setUserEnabledNNPACKEb", "?setUserEnabledNNPACK@Context@at@@QEAAX_N@Z"];

    private static readonly Lazy<Exports?> s_exports = new(Resolve);

    private sealed record Exports(IntPtr Context, IntPtr GetMkldnn, IntPtr SetMkldnn, IntPtr SetNnpack);

    /// <summary>Whether libtorch exports the switches (every libtorch 2.x build does).</summary>
    public static bool Available => s_exports.Value is not null;

    /// <summary>Whether convolutions may use oneDNN now.</summary>
    public static bool OneDnnEnabled => s_exports.Value is { } exports
        ? ((delegate* unmanaged<IntPtr, byte>)exports.GetMkldnn)(exports.Context) != 0
        : throw new NotSupportedException("This libtorch build does not export at::Context's backend switches.");

    /// <summary>Lets convolutions use oneDNN (libtorch's default) or not.</summary>
    public static void SetOneDnn(bool enabled) => Set(s_exports.Value?.SetMkldnn, enabled);

    /// <summary>Lets convolutions try NNPACK, the fallback libtorch tries when oneDNN is off.</summary>
    public static void SetNnpack(bool enabled) => Set(s_exports.Value?.SetNnpack, enabled);

    private static void Set(IntPtr? setter, bool enabled)
    {
        if (setter is not { } function || s_exports.Value is not { } exports)
            throw new NotSupportedException("This libtorch build does not export at::Context's backend switches, so oneDNN cannot be turned off.");
        ((delegate* unmanaged<IntPtr, byte, void>)function)(exports.Context, enabled ? (byte)1 : (byte)0);
    }

    private static Exports? Resolve()
    {
        // By name relative to TorchSharp, as TorchSharp loads it: the handle of the copy already in the process.
        if (!NativeLibrary.TryLoad("torch_cpu", typeof(torch).Assembly, null, out var library))
            return null;
        var globalContext = Find(library, s_globalContext);
        var getMkldnn = Find(library, s_getMkldnn);
        var setMkldnn = Find(library, s_setMkldnn);
        var setNnpack = Find(library, s_setNnpack);
        if (globalContext == IntPtr.Zero || getMkldnn == IntPtr.Zero || setMkldnn == IntPtr.Zero || setNnpack == IntPtr.Zero)
            return null;
        return new Exports(((delegate* unmanaged<IntPtr>)globalContext)(), getMkldnn, setMkldnn, setNnpack);
    }

    private static IntPtr Find(IntPtr library, string[] names)
        => names.Select(n => NativeLibrary.TryGetExport(library, n, out var address) ? address : IntPtr.Zero).FirstOrDefault(a => a != IntPtr.Zero);
}

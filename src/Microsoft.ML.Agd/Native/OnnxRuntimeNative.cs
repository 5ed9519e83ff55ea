using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.Agd.Native;

/// <summary>
/// ONNX Runtime, which scores every trained network (inside ML.NET's ONNX transformer): checked before any training, so
/// that an application without its native library does not train for nothing; and kept from writing telemetry.
/// </summary>
internal static class OnnxRuntimeNative
{
    private const string TelemetryVariable = "ORT_DISABLE_TELEMETRY";

    private static readonly Lazy<bool> s_available = new(() => NativeLibrary.TryLoad("onnxruntime", typeof(InferenceSession).Assembly, null, out _));

    /// <summary>
    /// ONNX Runtime 1.31 on Linux and macOS starts a telemetry session when it loads, which writes a .ses file into the
    /// temporary folder on every run. Before ONNX Runtime loads, this turns it off, unless the application set
    /// ORT_DISABLE_TELEMETRY itself. In the native environment: ONNX Runtime reads it with getenv.
    /// </summary>
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "ONNX Runtime reads the variable once, when it loads: before ML.NET's first session, whichever of our types comes first.")]
    internal static void DisableTelemetry()
    {
        if (Environment.GetEnvironmentVariable(TelemetryVariable) is null)
            NativeEnvironment.Set(TelemetryVariable, "1", replace: false);
    }

    /// <exception cref="InvalidOperationException">The native library is missing; the message names the package to add.</exception>
    public static void EnsureAvailable()
    {
        if (!s_available.Value)
            throw new InvalidOperationException(
                "ONNX Runtime's native library (onnxruntime) could not be loaded, and a trained model is scored with it, so nothing was trained. " +
                $"The application (not only a library) must reference the package Microsoft.ML.OnnxRuntime, version {TorchNative.PackageVersion("OnnxRuntimeVersion")} " +
                "(or Microsoft.ML.OnnxRuntime.Gpu): dotnet add package Microsoft.ML.OnnxRuntime.");
    }
}

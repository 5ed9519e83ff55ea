using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.Agd.Native;

/// <summary>
/// Checks, before any training, that ONNX Runtime's native library can be loaded: a trained network is scored by it
/// (inside ML.NET's ONNX transformer), so an application without it would train for nothing and fail at the end.
/// </summary>
internal static class OnnxRuntimeNative
{
    private static readonly Lazy<bool> s_available = new(() => NativeLibrary.TryLoad("onnxruntime", typeof(InferenceSession).Assembly, null, out _));

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

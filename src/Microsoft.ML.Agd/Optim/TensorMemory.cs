using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Optim;

/// <summary>
/// The address of a CPU float32 tensor's memory, for reads and writes in place. TorchSharp's own spans
/// (<c>Tensor.bytes</c>) stop at 2 GiB, one span's limit; a pointer reaches every element.
/// </summary>
internal static partial class TensorMemory
{
    /// <summary>Whether <see cref="Floats"/> can give the tensor's memory: float32, contiguous, in CPU memory.</summary>
    public static bool IsReadable(Tensor tensor)
        => tensor.device_type == DeviceType.CPU && tensor.dtype == ScalarType.Float32 && tensor.is_contiguous();

    /// <summary>The tensor's first element; the caller keeps the tensor alive while it uses the pointer.</summary>
    /// <exception cref="ArgumentException">The tensor is not float32, contiguous and in CPU memory.</exception>
    public static unsafe float* Floats(Tensor tensor)
        => IsReadable(tensor)
            ? (float*)THSTensor_data(tensor.Handle)
            : throw new ArgumentException($"Expected a contiguous float32 tensor in CPU memory; it is {tensor.dtype} on {tensor.device}.", nameof(tensor));

    /// <summary>The address of the tensor's first element, on any device: two tensors that share it share their memory.</summary>
    public static IntPtr Address(Tensor tensor) => THSTensor_data(tensor.Handle);

    // TorchSharp's own export: the address of a tensor's first element (TorchSharp reads tensors through it too).
    [LibraryImport("LibTorchSharp")]
    private static partial IntPtr THSTensor_data(IntPtr handle);
}

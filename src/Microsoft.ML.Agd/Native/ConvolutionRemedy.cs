namespace Microsoft.ML.Agd.Native;

/// <summary>What the library does to keep float32 convolutions right on this CPU (see <see cref="TorchNative.ConvolutionCheck"/>).</summary>
internal enum ConvolutionRemedy
{
    /// <summary>Nothing: libtorch's convolutions passed the self-test.</summary>
    None,

    /// <summary>
    /// Every convolution of the process, forward and backward, runs without oneDNN (libtorch's own kernels instead): the
    /// self-test found a wrong output or gradient, which on the CPUs measured can be any shape's.
    /// </summary>
    AllConvolutionsWithoutOneDnn = 2,
}

namespace Microsoft.ML.Agd.Native;

/// <summary>What the library does to keep float32 convolution gradients right on this CPU (see <see cref="TorchNative.ConvolutionCheck"/>).</summary>
public enum ConvolutionRemedy
{
    /// <summary>Nothing: libtorch's convolutions passed the self-test.</summary>
    None,

    /// <summary>
    /// Convolutions with a channel count that is not a multiple of 16 run their backward pass without oneDNN; the others,
    /// and every forward pass, keep it. On AVX-512 CPUs where oneDNN's blocked kernels get such shapes wrong.
    /// </summary>
    NarrowConvolutionsWithoutOneDnn,

    /// <summary>Every convolution runs its backward pass without oneDNN: the self-test found wrong gradients at any width.</summary>
    AllConvolutionsWithoutOneDnn,

    /// <summary>
    /// Convolutions with a channel count that is not a multiple of 16 are computed with their channels padded by zeros to
    /// the next multiple (where oneDNN is right) and the padding sliced off; the others run as they were. Chosen where the
    /// self-test finds <see cref="NarrowInputGradientsAsConvolutions"/>'s form wrong and the padded form right: it keeps
    /// oneDNN, at four times those convolutions' arithmetic. A convolution that cannot be padded (transposed, grouped, or
    /// not zero-padded) runs its backward pass without oneDNN.
    /// </summary>
    NarrowConvolutionsPadded,

    /// <summary>
    /// Convolutions with a channel count that is not a multiple of 16 compute their input gradient as a forward
    /// convolution (the output gradient correlated with the flipped kernel, its channels swapped), by kernels that are
    /// right at any width and as fast as the backward-data kernel they replace; libtorch computes the rest. Chosen first
    /// when the self-test finds this form right. A convolution that cannot be computed this way (transposed, grouped, not
    /// zero-padded, or padded beyond its kernel's reach) runs its backward pass without oneDNN.
    /// </summary>
    NarrowInputGradientsAsConvolutions,
}

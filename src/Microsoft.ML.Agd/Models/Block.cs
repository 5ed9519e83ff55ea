using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Models;

/// <summary>
/// A part of a network described once, as modula's modules are: <see cref="Compute{T}"/> says how the block's layers
/// compose, in terms of <see cref="IBlockOps{T}"/>, and each reading of that one description follows from it. Run on
/// tensors it is the block's <c>forward</c>; run on ONNX values it is its export; run on AGD's bookkeeping it tells which
/// normalisation feeds which layer (a normalisation's scale and shift move with the first layer that reads it).
/// A new kind of block is one subclass with one method.
/// </summary>
public abstract class Block : nn.Module<Tensor, Tensor>
{
    /// <summary>Creates the block; register its layers (RegisterComponents) in the subclass's constructor.</summary>
    /// <param name="name">The module's name.</param>
    protected Block(string name) : base(name)
    {
    }

    /// <summary>The block's computation, written once for every reading of it.</summary>
    /// <typeparam name="T">What flows through it: a tensor, an ONNX value's name, or AGD's bookkeeping.</typeparam>
    /// <param name="ops">The operations the computation is made of.</param>
    /// <param name="input">The block's input.</param>
    public abstract T Compute<T>(IBlockOps<T> ops, T input);

    /// <inheritdoc />
    public sealed override Tensor forward(Tensor input) => Compute(TensorOps.Instance, input);
}

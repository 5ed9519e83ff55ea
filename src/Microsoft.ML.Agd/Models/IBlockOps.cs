using TorchSharp;

namespace Microsoft.ML.Agd.Models;

/// <summary>
/// The operations a <see cref="Block"/> is described with. Each implementation reads the description its own way:
/// on tensors (forward), on ONNX values (export), on AGD's bookkeeping (which normalisation feeds which layer).
/// </summary>
/// <typeparam name="T">What flows between the operations.</typeparam>
public interface IBlockOps<T>
{
    /// <summary>A child module: a layer, a normalisation, a pooling, a Sequential, another block.</summary>
    T Apply(torch.nn.Module module, T x);

    /// <summary>max(x, 0).</summary>
    T Relu(T x);

    /// <summary>x times a constant.</summary>
    T Scale(T x, double factor);

    /// <summary>The sum of two values of one shape: a residual connection.</summary>
    T Add(T a, T b);

    /// <summary>[batch, ...] to [batch, features].</summary>
    T Flatten(T x);

    /// <summary>The mean over each channel's height and width: [batch, channels, h, w] to [batch, channels, 1, 1].</summary>
    T GlobalAveragePool(T x);

    /// <summary>
    /// Causal multi-head attention of projected queries, keys and values [batch, time, width]: each position's output is
    /// the softmax(q k / sqrt(head width))-weighted mean of the values at it and before it, head by head.
    /// </summary>
    T Attention(T query, T key, T value, int heads);

    /// <summary>(x - mean) / deviation per channel, for images [batch, channels, h, w] (or flat rows of one channel).</summary>
    T Standardize(T x, torch.Tensor mean, torch.Tensor deviation);
}

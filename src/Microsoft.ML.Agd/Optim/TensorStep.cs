using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Optim;

/// <summary>
/// AGD's two passes over memory with libtorch's operations, on any device and dtype: the squared norms of every layer's
/// slices (one per kernel position, per embedding row, one for a matrix), then the update from factors worked out on the
/// host. <see cref="CpuStep"/> computes the same in place for float32 in CPU memory.
/// </summary>
internal static class TensorStep
{
    /// <summary>Every layer's squared slice norms, brought to the host in a single transfer.</summary>
    public static double[][] SquaredNorms(IReadOnlyList<AgdLayer> layers)
    {
        var squares = layers.Select(l => SquaredSliceNorms(l.Weight.grad!, l.IsEmbedding)).ToList();
        var all = cat(squares).cpu().to(ScalarType.Float64).data<double>().ToArray();
        var result = new double[layers.Count][];
        for (int k = 0, offset = 0; k < layers.Count; offset += result[k].Length, k++)
            result[k] = all[offset..(offset + (int)squares[k].numel())];
        return result;
    }

    /// <summary>W += factor * g slice by slice, and each rank-1 parameter p += its layer's member factor * g_p.</summary>
    public static void Update(IReadOnlyList<AgdLayer> layers, IReadOnlyList<LayerFactors> factors)
    {
        for (int k = 0; k < layers.Count; k++)
        {
            UpdateWeight(layers[k], factors[k].Slices);
            foreach (var (_, p, _) in layers[k].Members)
                if (p.grad is { } pg)
                {
                    using var alpha = factors[k].Members.ToScalar(); // held to the call's end: an implicit Scalar can be finalized during the call
                    p.add_(pg, alpha);
                }
        }
    }

    private static Tensor SquaredSliceNorms(Tensor gradient, bool isEmbedding)
    {
        if (isEmbedding)
            return gradient.square().sum(1);
        if (gradient.dim() == 2 || gradient.shape[2] * gradient.shape[3] == 1)
        {
            // A dot product of the gradient with itself: BLAS reads it once, about twice as fast as vector_norm.
            var flat = gradient.reshape(-1);
            return flat.dot(flat).reshape(1);
        }
        // Column sums of squares by a matrix product over [out, in * kh * kw]: libtorch reduces over leading dimensions
        // of a convolution weight several times more slowly. The in input channels are then added per kernel position.
        var squares = gradient.reshape(gradient.shape[0], -1).square();
        var columns = ones(1, squares.shape[0], dtype: squares.dtype, device: squares.device).mm(squares);
        return columns.view(-1, gradient.shape[2] * gradient.shape[3]).sum(dim: 0);
    }

    private static void UpdateWeight(AgdLayer layer, double[] factors)
    {
        Tensor weight = layer.Weight, gradient = weight.grad!;
        if (factors.Length == 1 && !layer.IsEmbedding)
        {
            using var alpha = factors[0].ToScalar(); // held to the call's end: an implicit Scalar can be finalized during the call
            weight.add_(gradient, alpha);
            return;
        }
        var perSlice = tensor(factors, dtype: weight.dtype, device: weight.device);
        if (layer.IsEmbedding)
            weight.addcmul_(gradient, perSlice.view(-1, 1), value: 1);
        else
            weight.addcmul_(gradient, perSlice.view(1, 1, weight.shape[2], weight.shape[3]), value: 1);
    }
}

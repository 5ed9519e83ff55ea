using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Optim;

/// <summary>
/// AGD's two passes over memory with libtorch's operations, on any device and dtype: the squared norms of every layer's
/// slices (one per kernel position, per embedding row, one for a matrix), then the update from factors worked out on the
/// host. <see cref="CpuStep"/> computes the same in place for float32 in CPU memory. The norms travel to the host in one
/// transfer, and the update's per-slice factors to the device in one, not one per layer.
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
        var perSlice = PerSliceFactors(layers, factors);
        for (int k = 0; k < layers.Count; k++)
        {
            Tensor weight = layers[k].Weight, gradient = weight.grad!;
            if (perSlice[k] is { } slices)
                weight.addcmul_(gradient, layers[k].IsEmbedding ? slices.view(-1, 1) : slices.view(1, 1, weight.shape[2], weight.shape[3]), value: 1);
            else
            {
                using var alpha = factors[k].Slices[0].ToScalar(); // held to the call's end: an implicit Scalar can be finalized during the call
                weight.add_(gradient, alpha);
            }
            using var memberAlpha = factors[k].Members.ToScalar(); // one Scalar for all the layer's rank-1 parameters
            foreach (var (_, p, _) in layers[k].Members)
                if (p.grad is { } pg)
                    p.add_(pg, memberAlpha);
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

    // The factors of every layer stepped slice by slice (a convolution, an embedding) on its weight's dtype and device, null
    // for the others: one transfer per dtype and device, read by views.
    private static Tensor?[] PerSliceFactors(IReadOnlyList<AgdLayer> layers, IReadOnlyList<LayerFactors> factors)
    {
        var perSlice = new Tensor?[layers.Count];
        var sliced = Enumerable.Range(0, layers.Count).Where(k => layers[k].IsEmbedding || factors[k].Slices.Length > 1);
        foreach (var group in sliced.GroupBy(k => (layers[k].Weight.dtype, layers[k].Weight.device.ToString())))
        {
            var first = layers[group.First()].Weight;
            var values = tensor(group.SelectMany(k => factors[k].Slices).ToArray(), dtype: first.dtype, device: first.device);
            long offset = 0;
            foreach (int k in group)
            {
                perSlice[k] = values.narrow(0, offset, factors[k].Slices.Length);
                offset += factors[k].Slices.Length;
            }
        }
        return perSlice;
    }
}

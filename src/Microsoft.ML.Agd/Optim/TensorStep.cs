using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Optim;

/// <summary>
/// AGD's two passes over memory with libtorch's operations, on any device and dtype: the squared norms of every layer's
/// slices (one per kernel position, per embedding row, one for a matrix), then the update from factors worked out on the
/// host. <see cref="CpuStep"/> computes the same in place for float32 in CPU memory. On a GPU each operation is a kernel
/// launch, so layers whose weights share a shape are reduced in one batch, and the update's per-slice factors travel to
/// the device in one transfer.
/// </summary>
internal static class TensorStep
{
    /// <summary>Every layer's squared slice norms, brought to the host in a single transfer.</summary>
    public static double[][] SquaredNorms(IReadOnlyList<AgdLayer> layers)
    {
        var groups = Enumerable.Range(0, layers.Count).GroupBy(k => GroupKey(layers[k])).Select(g => g.ToList()).ToList();
        var squares = groups.Select(g => SquaredSliceNorms(Stacked(layers, g), layers[g[0]].IsEmbedding).reshape(-1)).ToList();
        var all = cat(squares).cpu().to(ScalarType.Float64).data<double>().ToArray();
        var result = new double[layers.Count][];
        int offset = 0;
        foreach (var k in groups.SelectMany(g => g))
        {
            int count = (int)SliceCount(layers[k]);
            result[k] = all[offset..(offset + count)];
            offset += count;
        }
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
            foreach (var (_, p, _) in layers[k].Members)
                if (p.grad is { } pg)
                {
                    using var alpha = factors[k].Members.ToScalar();
                    p.add_(pg, alpha);
                }
        }
    }

    // Layers reduced together: one shape, dtype and device, and embeddings apart (their slices are rows).
    private static string GroupKey(AgdLayer layer)
        => $"{string.Join('x', layer.Weight.shape)} {layer.Weight.dtype} {layer.Weight.device} {layer.IsEmbedding}";

    private static long SliceCount(AgdLayer layer) => layer.IsEmbedding ? layer.Weight.shape[0]
        : layer.Weight.dim() == 4 ? layer.Weight.shape[2] * layer.Weight.shape[3] : 1;

    // The gradients of the layers at these indices, stacked as [layers, ...weight's shape]; one is a view.
    private static Tensor Stacked(IReadOnlyList<AgdLayer> layers, IReadOnlyList<int> group)
        => group.Count == 1 ? layers[group[0]].Weight.grad!.unsqueeze(0) : stack(group.Select(k => layers[k].Weight.grad!).ToList());

    // Squared slice norms [layers, slices] of stacked gradients.
    private static Tensor SquaredSliceNorms(Tensor gradients, bool isEmbedding)
    {
        long count = gradients.shape[0];
        if (isEmbedding)
            return gradients.square().sum(2);
        if (gradients.dim() == 3 || gradients.shape[3] * gradients.shape[4] == 1)
        {
            // Dot products of each gradient with itself, in one batched product: BLAS reads it once, about twice as fast as vector_norm.
            var flat = gradients.reshape(count, 1, -1);
            return flat.bmm(flat.transpose(1, 2)).reshape(count, 1);
        }
        // Column sums of squares by a batched product over [out, in * kh * kw]: libtorch reduces over leading dimensions of
        // a convolution weight several times more slowly. The in input channels are then added per kernel position.
        var squares = gradients.reshape(count, gradients.shape[1], -1).square();
        var columns = ones(count, 1, squares.shape[1], dtype: squares.dtype, device: squares.device).bmm(squares);
        return columns.view(count, -1, gradients.shape[3] * gradients.shape[4]).sum(dim: 1);
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

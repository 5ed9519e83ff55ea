using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Optim;

/// <summary>
/// AGD's two passes (<see cref="TensorStep"/>'s) when every parameter and gradient is contiguous float32 in CPU memory:
/// the norms, and the update of convolutions, embeddings and rank-1 parameters, read and written in place by SIMD loops
/// with no native call or tensor per layer; a matrix's update is one fused libtorch call, which runs on libtorch's threads.
/// </summary>
/// <remarks>
/// Our loops run on the calling thread only. Right after a backward pass libtorch's OpenMP workers spin-wait on the other
/// cores; threads of ours there ran the step of a training loop slower than one thread (benchmark section 1 measures it).
/// </remarks>
internal static unsafe class CpuStep
{
    /// <summary>Whether the layers' weights, rank-1 parameters and gradients can all be read in place.</summary>
    public static bool CanRun(IReadOnlyList<AgdLayer> layers)
        => layers.All(l => Readable(l.Weight) && l.Members.All(m => m.Parameter.grad is null || Readable(m.Parameter)));

    /// <summary>Every layer's squared norms, one per slice, as <see cref="TensorStep.SquaredNorms"/> gives them.</summary>
    public static double[][] SquaredNorms(IReadOnlyList<AgdLayer> layers) => layers.Select(SquaredNorms).ToArray();

    /// <summary>Moves every weight by its slices' factors and every rank-1 parameter by its layer's, as <see cref="TensorStep.Update"/> does.</summary>
    public static void Update(IReadOnlyList<AgdLayer> layers, IReadOnlyList<LayerFactors> factors)
    {
        for (int k = 0; k < layers.Count; k++)
        {
            var slicing = Slicing.Of(layers[k]);
            if (slicing.Count == 1 && layers[k].Weight.grad is { } gradient)
            {
                using var alpha = factors[k].Slices[0].ToScalar(); // held to the call's end: an implicit Scalar can be finalized during the call
                layers[k].Weight.add_(gradient, alpha); // one fused call, on libtorch's own threads
            }
            else
                Update(layers[k].Weight, slicing, factors[k].Slices.Select(f => (float)f).ToArray());
            foreach (var (_, p, _) in layers[k].Members)
                Update(p, Slicing.Whole(p), [(float)factors[k].Members]);
        }
    }

    private static double[] SquaredNorms(AgdLayer layer)
    {
        var slicing = Slicing.Of(layer);
        using var gradient = layer.Weight.grad!;
        float* g = TensorMemory.Floats(gradient);
        var sums = new double[slicing.Count];
        if (slicing.Interleaved)
            SliceKernels.InterleavedSquares(g, gradient.numel(), sums);
        else
            for (int j = 0; j < sums.Length; j++)
                sums[j] = SliceKernels.RunSquares(g + j * slicing.Run, slicing.Run);
        return sums;
    }

    private static void Update(Tensor parameter, Slicing slicing, float[] factors)
    {
        using var gradient = parameter.grad;
        if (gradient is null)
            return;
        float* w = TensorMemory.Floats(parameter), g = TensorMemory.Floats(gradient);
        if (slicing.Interleaved)
            SliceKernels.InterleavedUpdate(w, g, parameter.numel(), factors);
        else
            for (int j = 0; j < factors.Length; j++)
                SliceKernels.RunUpdate(w + j * slicing.Run, g + j * slicing.Run, slicing.Run, factors[j]);
    }

    private static bool Readable(Tensor parameter)
    {
        using var gradient = parameter.grad;
        return TensorMemory.IsReadable(parameter) && (gradient is null || TensorMemory.IsReadable(gradient));
    }

    /// <summary>
    /// How a weight's elements fall into slices: interleaved with a period (element i in slice i mod period: a
    /// convolution's kernel positions), or <c>Count</c> runs of <c>Run</c> elements (a matrix is one run, an embedding one per row).
    /// </summary>
    private readonly record struct Slicing(int Period, long Run, int Count)
    {
        public static Slicing Of(AgdLayer layer)
        {
            var shape = layer.Weight.shape;
            if (layer.IsEmbedding)
                return new Slicing(1, shape[1], (int)shape[0]);
            int positions = shape.Length == 4 ? (int)(shape[2] * shape[3]) : 1;
            return positions > 1 ? new Slicing(positions, 1, positions) : Whole(layer.Weight);
        }

        public static Slicing Whole(Tensor parameter) => new(1, parameter.numel(), 1);

        public bool Interleaved => Period > 1;
    }
}

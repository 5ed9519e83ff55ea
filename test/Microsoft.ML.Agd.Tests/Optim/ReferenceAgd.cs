namespace Microsoft.ML.Agd.Tests.Optim;

/// <summary>AGD in float64 on plain arrays, written from the paper's equations, independent of the TorchSharp code.</summary>
internal static class ReferenceAgd
{
    public sealed class Tensor64(long[] shape, double[] value, double[] grad)
    {
        public long[] Shape { get; } = shape;
        public double[] Value { get; } = value;
        public double[] Grad { get; } = grad;
    }

    public sealed record Layer(Tensor64 Weight, IReadOnlyList<Tensor64> Members);

    /// <summary>Updates every value in place and returns eta.</summary>
    public static double Step(IReadOnlyList<Layer> layers, double gain = 1.0)
    {
        int depth = layers.Count;
        var norms = layers.Select(l => SliceNorms(l.Weight)).ToList();
        double g = 0;
        for (int k = 0; k < depth; k++)
            g += Scale(layers[k].Weight.Shape) * norms[k].Sum();
        g /= depth;
        double eta = Math.Log((1 + Math.Sqrt(1 + 4 * g)) / 2);

        for (int k = 0; k < depth; k++)
        {
            var w = layers[k].Weight;
            double rate = gain * eta / depth * Scale(w.Shape);
            int positions = norms[k].Length;
            for (int e = 0; e < w.Value.Length; e++)
            {
                double n = norms[k][e % positions];
                if (n > 0)
                    w.Value[e] -= rate * w.Grad[e] / n;
            }
            double frobenius = Math.Sqrt(norms[k].Sum(n => n * n));
            foreach (var p in layers[k].Members)
                for (int e = 0; e < p.Value.Length; e++)
                    if (frobenius > 0)
                        p.Value[e] -= rate * p.Grad[e] / frobenius;
        }
        return eta;
    }

    public static double Scale(long[] shape)
    {
        double s = Math.Sqrt((double)shape[0] / shape[1]);
        return shape.Length == 4 ? s / Math.Sqrt(shape[2] * shape[3]) : s;
    }

    // One norm per kernel position (row-major [out, in, kh, kw]: the position is the index modulo kh*kw); one for rank 2.
    private static double[] SliceNorms(Tensor64 w)
    {
        int positions = w.Shape.Length == 4 ? (int)(w.Shape[2] * w.Shape[3]) : 1;
        var sums = new double[positions];
        for (int e = 0; e < w.Grad.Length; e++)
            sums[e % positions] += w.Grad[e] * w.Grad[e];
        return sums.Select(Math.Sqrt).ToArray();
    }
}

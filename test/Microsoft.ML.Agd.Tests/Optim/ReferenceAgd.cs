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

    /// <summary>
    /// Updates every value in place and returns eta. With <paramref name="spectral"/>, each slice's step is sized by its
    /// largest singular value (G sums ||g||_F^2 / sigma), else by its Frobenius norm, as published.
    /// </summary>
    public static double Step(IReadOnlyList<Layer> layers, double gain = 1.0, bool spectral = false)
    {
        int depth = layers.Count;
        var squares = layers.Select(l => SliceSquares(l.Weight)).ToList();
        var norms = layers.Select((l, k) => spectral ? SliceSpectralNorms(l.Weight) : squares[k].Select(Math.Sqrt).ToArray()).ToList();
        double g = 0;
        for (int k = 0; k < depth; k++)
            g += Scale(layers[k].Weight.Shape) * squares[k].Zip(norms[k], (sq, n) => n > 0 ? sq / n : 0).Sum();
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
            double frobenius = Math.Sqrt(squares[k].Sum());
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

    // One sum of squares per kernel position (row-major [out, in, kh, kw]: the position is the index modulo kh*kw); one for rank 2.
    private static double[] SliceSquares(Tensor64 w)
    {
        int positions = Positions(w);
        var sums = new double[positions];
        for (int e = 0; e < w.Grad.Length; e++)
            sums[e % positions] += w.Grad[e] * w.Grad[e];
        return sums;
    }

    private static int Positions(Tensor64 w) => w.Shape.Length == 4 ? (int)(w.Shape[2] * w.Shape[3]) : 1;

    // Each slice's largest singular value: the square root of the top eigenvalue of S^T S, by plain power iteration to
    // convergence in float64 (test matrices are small).
    private static double[] SliceSpectralNorms(Tensor64 w)
    {
        int positions = Positions(w), rows = (int)w.Shape[0], columns = (int)w.Shape[1];
        var result = new double[positions];
        for (int p = 0; p < positions; p++)
        {
            double Entry(int i, int j) => w.Grad[(i * columns + j) * positions + p];
            var v = Enumerable.Range(0, columns).Select(j => 1.0 + 0.01 * j).ToArray();
            double sigma2 = 0;
            for (int iteration = 0; iteration < 5000; iteration++)
            {
                var u = Enumerable.Range(0, rows).Select(i => Enumerable.Range(0, columns).Sum(j => Entry(i, j) * v[j])).ToArray();
                var next = Enumerable.Range(0, columns).Select(j => Enumerable.Range(0, rows).Sum(i => Entry(i, j) * u[i])).ToArray();
                double size = Math.Sqrt(next.Sum(x => x * x)), vSize = Math.Sqrt(v.Sum(x => x * x));
                sigma2 = vSize > 0 ? size / vSize : 0;
                if (size == 0)
                    break;
                v = next.Select(x => x / size).ToArray();
            }
            result[p] = Math.Sqrt(sigma2);
        }
        return result;
    }
}

using System.Numerics;
using System.Runtime.CompilerServices;

namespace Microsoft.ML.Agd.Optim;

/// <summary>
/// The two passes of AGD's step over float32 memory, with SIMD: per-slice sums of squares, and w += factor(slice) * g.
/// A weight is either interleaved (element i in slice i mod period: a convolution's kernel positions) or made of runs
/// (element i in slice i / run: a matrix is one run, an embedding one run per row).
/// </summary>
internal static unsafe class SliceKernels
{
    // Float lanes are emptied into double sums this often, so no lane adds up more than this many squares in float.
    private const int BlocksPerFlush = 256;

    private static int Width => Vector<float>.Count;

    /// <summary>Adds the sums of squares of <paramref name="count"/> interleaved elements into sums[i mod sums.Length].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // SIMD loops: fully optimised from the first call, not after tiering
    public static void InterleavedSquares(float* x, long count, Span<double> sums)
    {
        int period = sums.Length, block = period * Width;
        Span<Vector<float>> lanes = stackalloc Vector<float>[period];
        lanes.Clear();
        long i = 0;
        for (int blocks = 0; i + block <= count; i += block)
        {
            // A block holds `Width` whole periods; vector j's lane l is element j * Width + l of the block.
            for (int j = 0; j < period; j++)
            {
                var v = Load(x + i + j * Width);
                lanes[j] = Vector.FusedMultiplyAdd(v, v, lanes[j]);
            }
            if (++blocks % BlocksPerFlush == 0)
                Flush(lanes, sums);
        }
        Flush(lanes, sums);
        for (; i < count; i++)
            sums[(int)(i % period)] += (double)x[i] * x[i];
    }

    /// <summary>The sum of squares of a contiguous run, with four independent accumulators so that adds overlap.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double RunSquares(float* x, long count)
    {
        double sum = 0;
        long i = 0;
        int block = 4 * Width;
        while (i + block <= count)
        {
            Vector<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (long stop = Math.Min(count - block, i + (long)block * (BlocksPerFlush - 1)); i <= stop; i += block)
            {
                float* b = x + i;
                var v0 = Load(b); var v1 = Load(b + Width); var v2 = Load(b + 2 * Width); var v3 = Load(b + 3 * Width);
                a0 = Vector.FusedMultiplyAdd(v0, v0, a0); a1 = Vector.FusedMultiplyAdd(v1, v1, a1);
                a2 = Vector.FusedMultiplyAdd(v2, v2, a2); a3 = Vector.FusedMultiplyAdd(v3, v3, a3);
            }
            sum += Sum(a0) + Sum(a1) + Sum(a2) + Sum(a3);
        }
        for (; i < count; i++)
            sum += (double)x[i] * x[i];
        return sum;
    }

    /// <summary>w[i] += factors[i mod factors.Length] * g[i] over <paramref name="count"/> interleaved elements.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void InterleavedUpdate(float* w, float* g, long count, ReadOnlySpan<float> factors)
    {
        int period = factors.Length, block = period * Width;
        // Vector j of a block meets the factors of slices (j * Width + l) mod period.
        Span<Vector<float>> pattern = stackalloc Vector<float>[period];
        Span<float> lane = stackalloc float[Width];
        for (int j = 0; j < period; j++)
        {
            for (int l = 0; l < Width; l++)
                lane[l] = factors[(j * Width + l) % period];
            pattern[j] = new Vector<float>(lane);
        }
        long i = 0;
        for (; i + block <= count; i += block)
            for (int j = 0; j < period; j++)
            {
                long at = i + j * Width;
                Store(w + at, Vector.FusedMultiplyAdd(pattern[j], Load(g + at), Load(w + at)));
            }
        for (; i < count; i++)
            w[i] = MathF.FusedMultiplyAdd(factors[(int)(i % period)], g[i], w[i]);
    }

    /// <summary>w[i] += factor * g[i] over a contiguous run.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunUpdate(float* w, float* g, long count, float factor)
    {
        var f = new Vector<float>(factor);
        long i = 0;
        for (; i + 2 * Width <= count; i += 2 * Width)
        {
            Store(w + i, Vector.FusedMultiplyAdd(f, Load(g + i), Load(w + i)));
            Store(w + i + Width, Vector.FusedMultiplyAdd(f, Load(g + i + Width), Load(w + i + Width)));
        }
        for (; i < count; i++)
            w[i] = MathF.FusedMultiplyAdd(factor, g[i], w[i]);
    }

    private static Vector<float> Load(float* at) => Unsafe.ReadUnaligned<Vector<float>>(at);

    private static void Store(float* at, Vector<float> value) => Unsafe.WriteUnaligned(at, value);

    private static double Sum(Vector<float> v)
    {
        double sum = 0;
        for (int l = 0; l < Width; l++)
            sum += v[l];
        return sum;
    }

    private static void Flush(Span<Vector<float>> lanes, Span<double> sums)
    {
        for (int j = 0; j < lanes.Length; j++)
        {
            for (int l = 0; l < Width; l++)
                sums[(j * Width + l) % sums.Length] += lanes[j][l];
            lanes[j] = Vector<float>.Zero;
        }
    }
}

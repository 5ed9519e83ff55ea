using System.Numerics;
using System.Runtime.CompilerServices;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Optim;

/// <summary>
/// Sums of squares of a CPU float32 convolution gradient, one per kernel position, reading it once in place with SIMD.
/// libtorch reduces over the leading dimensions of a [out, in, kh, kw] tensor slowly, or squares it into a copy first.
/// One core is enough: the read runs at memory speed, and a parallel loop would fight libtorch's own threads.
/// </summary>
internal static class SquareSums
{
    // Float lanes are emptied into double sums this often, so no lane adds up more than this many squares in float.
    private const int BlocksPerFlush = 256;
    private const int LargestPeriod = 64;

    /// <summary>Whether <see cref="Compute"/> can read the tensor: float32, contiguous, in CPU memory, with a small period.</summary>
    public static bool CanRead(Tensor tensor, int period)
        => TensorMemory.IsReadable(tensor) && period is > 1 and <= LargestPeriod;

    /// <summary>The sums of squares of the tensor's elements i grouped by i mod <paramref name="period"/>.</summary>
    public static unsafe double[] Compute(Tensor tensor, int period)
        => period == 9
            ? SumOfSquares3x3(TensorMemory.Floats(tensor), tensor.numel())
            : SumOfSquares(TensorMemory.Floats(tensor), tensor.numel(), period);

    private static unsafe double[] SumOfSquares(float* data, long end, int period)
    {
        int width = Vector<float>.Count;
        int block = period * width;
        Span<Vector<float>> lanes = stackalloc Vector<float>[period];
        lanes.Clear();
        var sums = new double[period];
        long i = 0;
        for (int blocks = 0; i + block <= end; i += block)
        {
            // A block holds `width` whole periods; vector j's lane l is element j * width + l of the block.
            for (int j = 0; j < period; j++)
            {
                var v = Unsafe.ReadUnaligned<Vector<float>>(data + i + j * width);
                lanes[j] += v * v;
            }
            if (++blocks % BlocksPerFlush == 0)
                Flush(lanes, sums, width);
        }
        Flush(lanes, sums, width);
        for (; i < end; i++)
            sums[(int)(i % period)] += (double)data[i] * data[i];
        return sums;
    }

    // 3x3 kernels, the common case: nine accumulators held in registers rather than read and written through a span.
    private static unsafe double[] SumOfSquares3x3(float* data, long end)
    {
        const int period = 9;
        int width = Vector<float>.Count, block = period * width;
        var sums = new double[period];
        long i = 0;
        while (i + block <= end)
        {
            Vector<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default, a8 = default;
            for (long stop = Math.Min(end - block, i + (long)block * BlocksPerFlush); i <= stop; i += block)
            {
                float* b = data + i;
                a0 += Square(b); a1 += Square(b + width); a2 += Square(b + 2 * width);
                a3 += Square(b + 3 * width); a4 += Square(b + 4 * width); a5 += Square(b + 5 * width);
                a6 += Square(b + 6 * width); a7 += Square(b + 7 * width); a8 += Square(b + 8 * width);
            }
            Span<Vector<float>> lanes = [a0, a1, a2, a3, a4, a5, a6, a7, a8];
            Flush(lanes, sums, width);
        }
        for (; i < end; i++)
            sums[(int)(i % period)] += (double)data[i] * data[i];
        return sums;
    }

    private static unsafe Vector<float> Square(float* at)
    {
        var v = Unsafe.ReadUnaligned<Vector<float>>(at);
        return v * v;
    }

    private static void Flush(Span<Vector<float>> lanes, double[] sums, int width)
    {
        for (int j = 0; j < lanes.Length; j++)
        {
            for (int l = 0; l < width; l++)
                sums[(j * width + l) % sums.Length] += lanes[j][l];
            lanes[j] = Vector<float>.Zero;
        }
    }
}

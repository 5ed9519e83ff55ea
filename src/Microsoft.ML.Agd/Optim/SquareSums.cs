using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Optim;

/// <summary>
/// Sums of squares of CPU float32 tensors, one per position of a repeating period (a convolution's kernel positions;
/// a period of 1 sums a whole matrix), reading each tensor once with SIMD on every core. libtorch either squares into a
/// temporary first or reduces on one core, which made AGD's norms cost as much as the whole update.
/// </summary>
internal static partial class SquareSums
{
    // Work items of about 1 MiB: enough to amortise scheduling, small enough to balance the cores.
    private const long ChunkFloats = 1 << 18;
    // Float lanes are emptied into double sums this often, so no lane adds up more than this many squares in float.
    private const int BlocksPerFlush = 256;
    private const int LargestPeriod = 64;

    /// <summary>Whether <see cref="Compute"/> can read the tensor: float32, contiguous, in CPU memory, with a small period.</summary>
    public static bool CanRead(Tensor tensor, int period)
        => tensor.device_type == DeviceType.CPU && tensor.dtype == ScalarType.Float32 && tensor.is_contiguous() && period is > 0 and <= LargestPeriod;

    /// <summary>For each tensor k, the sums of squares of its elements i grouped by i mod periods[k].</summary>
    public static unsafe double[][] Compute(IReadOnlyList<Tensor> tensors, IReadOnlyList<int> periods)
    {
        var data = tensors.Select(t => (nint)THSTensor_data(t.Handle)).ToArray();
        var items = new List<(int Tensor, long Start, long End)>();
        for (int k = 0; k < tensors.Count; k++)
        {
            long count = tensors[k].numel();
            // Chunks start on whole periods, so an element's position is its index mod the period in every chunk.
            long chunk = Math.Max(1, ChunkFloats / periods[k]) * periods[k];
            for (long start = 0; start < count; start += chunk)
                items.Add((k, start, Math.Min(count, start + chunk)));
        }
        var partial = new double[items.Count][];
        Parallel.For(0, items.Count, i =>
        {
            var (k, start, end) = items[i];
            partial[i] = SumChunk((float*)data[k], start, end, periods[k]);
        });
        var sums = periods.Select(p => new double[p]).ToArray();
        for (int i = 0; i < items.Count; i++)
            for (int p = 0; p < partial[i].Length; p++)
                sums[items[i].Tensor][p] += partial[i][p];
        return sums;
    }

    private static unsafe double[] SumChunk(float* data, long start, long end, int period)
    {
        if (period == 1)
            return [SumOfSquares(data + start, end - start)];
        if (period == 9)
            return SumOfSquares3x3(data, start, end);
        int width = Vector<float>.Count;
        int block = period * width;
        Span<Vector<float>> lanes = stackalloc Vector<float>[period];
        lanes.Clear();
        var sums = new double[period];
        long i = start;
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
            sums[(int)((i - start) % period)] += (double)data[i] * data[i];
        return sums;
    }

    // A matrix: four independent accumulators keep the loads streaming instead of waiting on one running sum.
    private static unsafe double SumOfSquares(float* data, long count)
    {
        int width = Vector<float>.Count, step = 4 * width;
        double total = 0;
        long i = 0;
        while (i + step <= count)
        {
            Vector<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (long stop = Math.Min(count - step, i + (long)step * BlocksPerFlush); i <= stop; i += step)
            {
                var v0 = Unsafe.ReadUnaligned<Vector<float>>(data + i);
                var v1 = Unsafe.ReadUnaligned<Vector<float>>(data + i + width);
                var v2 = Unsafe.ReadUnaligned<Vector<float>>(data + i + 2 * width);
                var v3 = Unsafe.ReadUnaligned<Vector<float>>(data + i + 3 * width);
                a0 += v0 * v0;
                a1 += v1 * v1;
                a2 += v2 * v2;
                a3 += v3 * v3;
            }
            var lanes = (a0 + a1) + (a2 + a3);
            for (int l = 0; l < width; l++)
                total += lanes[l];
        }
        for (; i < count; i++)
            total += (double)data[i] * data[i];
        return total;
    }

    // 3x3 kernels, the common case: nine accumulators held in registers rather than in a span, about twice as fast.
    private static unsafe double[] SumOfSquares3x3(float* data, long start, long end)
    {
        const int period = 9;
        int width = Vector<float>.Count, block = period * width;
        var sums = new double[period];
        long i = start;
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
            sums[(int)((i - start) % period)] += (double)data[i] * data[i];
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

    // TorchSharp's own export: the address of a tensor's first element (TorchSharp reads tensors through it too).
    [LibraryImport("LibTorchSharp")]
    private static partial IntPtr THSTensor_data(IntPtr handle);
}

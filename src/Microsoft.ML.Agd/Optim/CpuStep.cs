using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Optim;

/// <summary>
/// AGD's two passes (<see cref="TensorStep"/>'s) read and written in place when every parameter and gradient is contiguous
/// float32 in CPU memory: no native call or tensor per layer, SIMD loops, and the cores libtorch uses sharing fixed chunks.
/// The chunks do not depend on the number of threads, and their sums are added in chunk order, so neither does the result.
/// </summary>
internal static unsafe class CpuStep
{
    // 256 KiB of floats: small enough to share among cores, large enough that a chunk's bookkeeping costs nothing.
    private const long ChunkElements = 1 << 16;

    /// <summary>Whether the layers' weights, rank-1 parameters and gradients can all be read in place.</summary>
    public static bool CanRun(IReadOnlyList<AgdLayer> layers)
        => layers.All(l => Readable(l.Weight) && l.Members.All(m => m.Parameter.grad is null || Readable(m.Parameter)));

    /// <summary>Every layer's squared norms, one per slice, as <see cref="TensorStep.SquaredNorms"/> gives them.</summary>
    public static double[][] SquaredNorms(IReadOnlyList<AgdLayer> layers)
    {
        var chunks = Chunks(layers, members: false);
        var partial = new double[chunks.Count][];
        ForEach(chunks.Count, c => partial[c] = chunks[c].Squares());
        var squares = layers.Select(l => new double[Slicing.Of(l).Count]).ToArray();
        for (int c = 0; c < chunks.Count; c++)
            for (int j = 0; j < partial[c].Length; j++)
                squares[chunks[c].Layer][chunks[c].FirstSlice + j] += partial[c][j];
        return squares;
    }

    /// <summary>Moves every weight by its slices' factors and every rank-1 parameter by its layer's, as <see cref="TensorStep.Update"/> does.</summary>
    public static void Update(IReadOnlyList<AgdLayer> layers, IReadOnlyList<LayerFactors> factors)
    {
        var chunks = Chunks(layers, members: true);
        var floats = factors.Select(f => f.Slices.Select(x => (float)x).ToArray()).ToArray();
        ForEach(chunks.Count, c => chunks[c].Update(chunks[c].IsMember ? [(float)factors[chunks[c].Layer].Members] : floats[chunks[c].Layer]));
    }

    private static bool Readable(Tensor parameter)
    {
        using var gradient = parameter.grad;
        return TensorMemory.IsReadable(parameter) && (gradient is null || TensorMemory.IsReadable(gradient));
    }

    private static void ForEach(int count, Action<int> body)
    {
        int threads = Math.Min(get_num_threads(), count);
        if (threads <= 1)
            for (int i = 0; i < count; i++)
                body(i);
        else
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = threads }, body);
    }

    private static List<Chunk> Chunks(IReadOnlyList<AgdLayer> layers, bool members)
    {
        var chunks = new List<Chunk>();
        for (int k = 0; k < layers.Count; k++)
        {
            Add(k, layers[k].Weight, Slicing.Of(layers[k]), isMember: false);
            if (members)
                foreach (var (_, p, _) in layers[k].Members)
                    Add(k, p, Slicing.Runs(p.numel(), 1), isMember: true);
        }
        return chunks;

        void Add(int layer, Tensor parameter, Slicing slicing, bool isMember)
        {
            var gradient = parameter.grad;
            if (gradient is null)
                return;
            float* w = TensorMemory.Floats(parameter), g = TensorMemory.Floats(gradient);
            gradient.Dispose(); // the handle only: the memory is the parameter's gradient, alive through the step
            long size = parameter.numel();
            if (size == 0)
                return;
            long step = slicing.ChunkSize(ChunkElements);
            for (long start = 0; start < size; start += step)
                chunks.Add(new Chunk(layer, isMember, (nint)w, (nint)g, start, Math.Min(size, start + step), slicing));
        }
    }

    /// <summary>How a weight's elements fall into slices: interleaved with a period (kernel positions), or runs of a length (rows).</summary>
    private readonly record struct Slicing(int Period, long Run, int Count)
    {
        public static Slicing Of(AgdLayer layer)
        {
            var shape = layer.Weight.shape;
            if (layer.IsEmbedding)
                return Runs(shape[1], (int)shape[0]);
            int positions = shape.Length == 4 ? (int)(shape[2] * shape[3]) : 1;
            return positions > 1 ? new Slicing(positions, 1, positions) : Runs(layer.Weight.numel(), 1);
        }

        public static Slicing Runs(long length, int count) => new(1, length, count);

        public bool Interleaved => Period > 1;

        // Interleaved chunks start at whole blocks of periods; runs are kept whole where they are shorter than a chunk.
        public long ChunkSize(long target)
            => Interleaved ? Period * 64 * Math.Max(1, target / (Period * 64)) : Run <= target ? Run * (target / Run) : target;
    }

    private readonly record struct Chunk(int Layer, bool IsMember, nint Weight, nint Gradient, long Start, long End, Slicing Slicing)
    {
        private float* W => (float*)Weight;

        private float* G => (float*)Gradient;

        public int FirstSlice => Slicing.Interleaved ? 0 : (int)(Start / Slicing.Run);

        public double[] Squares()
        {
            if (Slicing.Interleaved)
            {
                var sums = new double[Slicing.Period];
                SliceKernels.InterleavedSquares(G + Start, End - Start, sums);
                return sums;
            }
            var runs = new double[(int)((End - 1) / Slicing.Run) - FirstSlice + 1];
            for (long at = Start; at < End; at = RunEnd(at))
                runs[(int)(at / Slicing.Run) - FirstSlice] = SliceKernels.RunSquares(G + at, RunEnd(at) - at);
            return runs;
        }

        public void Update(float[] factors)
        {
            if (Slicing.Interleaved)
            {
                SliceKernels.InterleavedUpdate(W + Start, G + Start, End - Start, factors);
                return;
            }
            for (long at = Start; at < End; at = RunEnd(at))
                SliceKernels.RunUpdate(W + at, G + at, RunEnd(at) - at, factors[at / Slicing.Run]);
        }

        private long RunEnd(long at) => Math.Min(End, (at / Slicing.Run + 1) * Slicing.Run);
    }
}

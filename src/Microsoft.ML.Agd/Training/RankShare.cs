using Microsoft.ML.Agd.Optim;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Training;

/// <summary>
/// One rank's part in a run trained by several (<see cref="AgdCommunicator"/>): which rows of each batch it computes, the
/// one exchange per step that sums the ranks' gradients, and a stop that every rank takes after the same step (a stop
/// asked of one rank travels in the exchange, so no rank leaves while others wait for it).
/// </summary>
internal sealed class RankShare(AgdCommunicator ranks, CancellationToken localStop) : IStepRanks, IDisposable
{
    private readonly CancellationTokenSource _stop = new();

    /// <summary>How many ranks train together.</summary>
    public int Size => ranks.Size;

    /// <summary>This rank's index, from 0.</summary>
    public int Rank => ranks.Rank;

    /// <summary>Cancelled on every rank after the step at which any rank was asked to stop.</summary>
    public CancellationToken Stop => _stop.Token;

    /// <summary>This rank's contiguous part of the rows [start, start + count): the ranks' parts in rank order make them whole.</summary>
    public (long Start, long Count) Of(long start, long count)
    {
        long from = count * Rank / Size, to = count * (Rank + 1) / Size;
        return (start + from, to - from);
    }

    /// <summary>
    /// Replaces the tensors' values and the numbers with their sums over the ranks, in one all-reduce of one buffer, and
    /// learns whether any rank was asked to stop.
    /// </summary>
    public void Exchange(IReadOnlyList<Tensor> tensors, Span<float> numbers)
    {
        using var scope = NewDisposeScope();
        float asked = localStop.IsCancellationRequested ? 1 : 0;
        var flat = cat([.. tensors.Select(t => t.detach().reshape(-1).to(ScalarType.Float32, CPU)), tensor([.. numbers.ToArray(), asked])]);
        Sum(flat);
        long offset = 0;
        using (no_grad())
            foreach (var t in tensors)
            {
                t.copy_(flat.narrow(0, offset, t.numel()).view_as(t));
                offset += t.numel();
            }
        var tail = flat.narrow(0, offset, numbers.Length + 1).data<float>().ToArray();
        tail.AsSpan(0, numbers.Length).CopyTo(numbers);
        if (tail[^1] > 0)
            _stop.Cancel();
    }

    /// <summary>The ranks' mean of a value, the same on every rank; every rank must call it at the same point.</summary>
    public double Mean(double value)
    {
        Span<float> sum = [(float)value];
        ranks.AllReduceSum(sum);
        return (double)sum[0] / Size;
    }

    /// <summary>Whether this rank is computing its part of a batch (not the whole of one too small to share).</summary>
    public bool IsSharing { get; set; }

    /// <summary>Replaces a tensor's values with their sums over the ranks (through a float32 copy in host memory).</summary>
    public unsafe void Sum(Tensor values)
    {
        using var scope = NewDisposeScope();
        var host = values.detach().to(ScalarType.Float32, CPU).contiguous();
        ranks.AllReduceSum(new Span<float>(TensorMemory.Floats(host), checked((int)host.numel())));
        using (no_grad())
            values.copy_(host);
    }

    /// <summary>Checks that every rank starts the same run: the same weights and buffers (the seed, the data's statistics), rows, epochs and batch size.</summary>
    /// <exception cref="InvalidOperationException">They differ; the message names what.</exception>
    public static void AgreeOnRun(AgdCommunicator ranks, nn.Module network, long? rows, int epochs, int? batchSize)
    {
        using var scope = NewDisposeScope();
        var state = network.state_dict().Values.Where(t => t.is_floating_point()).Select(t => t.detach().to(ScalarType.Float64).reshape(-1)).ToList();
        // Any change of a weight changes the sum of the values weighted by their positions, whose bits then differ.
        double checksum = state.Count == 0 ? 0 : cat(state).mul(arange(state.Sum(t => t.numel()), ScalarType.Float64).add(1)).sum().item<double>();
        Agree(ranks, ("parameters", network.parameters().Sum(p => p.numel())), ("training rows", rows ?? -1), ("epochs", epochs),
            ("a batch size (0: automatic) of", batchSize ?? 0), ("a checksum of its first weights and its input statistics of", BitConverter.DoubleToInt64Bits(checksum)));
    }

    /// <summary>
    /// Checks, before training, that every rank trains the same run: each of this rank's values against every other
    /// rank's. All ranks learn the same, so all throw the same error, naming the value and the ranks that differ.
    /// </summary>
    /// <exception cref="InvalidOperationException">A value differs between ranks.</exception>
    public static void Agree(AgdCommunicator ranks, params (string What, long Value)[] values)
    {
        // Every rank's values in its own slots, each as three 21-bit pieces that a float holds exactly.
        const int Pieces = 3, Bits = 21;
        var slots = new float[ranks.Size * values.Length * Pieces];
        for (int i = 0; i < values.Length; i++)
            for (int p = 0; p < Pieces; p++)
                slots[(ranks.Rank * values.Length + i) * Pieces + p] = (values[i].Value >>> (p * Bits)) & ((1L << Bits) - 1);
        ranks.AllReduceSum(slots);
        long Of(int rank, int i) => Enumerable.Range(0, Pieces).Sum(p => (long)slots[(rank * values.Length + i) * Pieces + p] << (p * Bits));
        for (int i = 0; i < values.Length; i++)
            if (Enumerable.Range(1, ranks.Size - 1).FirstOrDefault(r => Of(r, i) != Of(0, i)) is > 0 and var other)
                throw new InvalidOperationException($"Rank {other} has {values[i].What} {Of(other, i)}, rank 0 {Of(0, i)}: every rank must train the same network " +
                    "on the same data with the same options (the same command, data folder and seed).");
    }

    public void Dispose() => _stop.Dispose();
}

using Microsoft.ML.Agd.Optim;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Training;

/// <summary>
/// One rank's part in a run trained by several (<see cref="AgdCommunicator"/>): which rows of each batch it computes, the
/// one exchange per step that sums the ranks' gradients, and a stop that every rank takes after the same step (a stop
/// asked of one rank travels in the exchange, so no rank leaves while others wait for it).
/// </summary>
internal sealed class RankShare(AgdCommunicator ranks, CancellationToken localStop) : IDisposable
{
    private readonly CancellationTokenSource _stop = new();

    /// <summary>How many ranks train together.</summary>
    public int Size => ranks.Size;

    /// <summary>Cancelled on every rank after the step at which any rank was asked to stop.</summary>
    public CancellationToken Stop => _stop.Token;

    /// <summary>This rank's contiguous part of the rows [start, start + count): the ranks' parts in rank order make them whole.</summary>
    public (long Start, long Count) Of(long start, long count)
    {
        long from = count * ranks.Rank / ranks.Size, to = count * (ranks.Rank + 1) / ranks.Size;
        return (start + from, to - from);
    }

    /// <summary>
    /// Replaces the tensors' values and the numbers with their sums over the ranks, in one all-reduce of one buffer, and
    /// learns whether any rank was asked to stop.
    /// </summary>
    public unsafe void Exchange(IReadOnlyList<Tensor> tensors, Span<float> numbers)
    {
        using var scope = NewDisposeScope();
        float asked = localStop.IsCancellationRequested ? 1 : 0;
        var flat = cat([.. tensors.Select(t => t.detach().reshape(-1).to(ScalarType.Float32, CPU)), tensor([.. numbers.ToArray(), asked])]).contiguous();
        ranks.AllReduceSum(new Span<float>(TensorMemory.Floats(flat), checked((int)flat.numel())));
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

    public void Dispose() => _stop.Dispose();
}

using System.Collections.Concurrent;
namespace Microsoft.ML.Agd.Tests.TestData;

/// <summary>
/// Ranks that are threads of this process, for tests of training across ranks without an MPI launcher: each all-reduce
/// waits for every rank, and every rank sums the ranks' values in rank order, so all end with the same sums.
/// </summary>
internal sealed class ThreadRanks(int size)
{
    private readonly Barrier _barrier = new(size);
    private readonly float[][] _values = new float[size][];
    private readonly ConcurrentQueue<byte[]>[] _messages = [.. Enumerable.Range(0, size).Select(_ => new ConcurrentQueue<byte[]>())];

    /// <summary>Trains one model on <paramref name="size"/> threads, rank r's result at r.</summary>
    public static T[] Run<T>(int size, Func<AgdCommunicator, T> rank)
    {
        var ranks = new ThreadRanks(size);
        var tasks = Enumerable.Range(0, size).Select(r => Task.Factory.StartNew(() => rank(new Member(ranks, r)), TaskCreationOptions.LongRunning)).ToArray();
        Task.WaitAll(tasks);
        return tasks.Select(t => t.Result).ToArray();
    }

    private sealed class Member(ThreadRanks ranks, int rank) : AgdCommunicator
    {
        public override int Rank => rank;

        public override int Size => ranks._values.Length;

        public override void AllReduceSum(Span<float> values)
        {
            ranks._values[rank] = values.ToArray();
            ranks._barrier.SignalAndWait();
            int length = values.Length;
            Assert.IsTrue(ranks._values.All(v => v.Length == length), "Every rank exchanges as many values.");
            for (int i = 0; i < values.Length; i++)
            {
                float sum = 0;
                foreach (var v in ranks._values)
                    sum += v[i];
                values[i] = sum;
            }
            ranks._barrier.SignalAndWait(); // no rank's next values overwrite these before every rank has summed them
        }

        public override void Send(int to, byte[] message) => ranks._messages[to].Enqueue(message);

        public override byte[]? TryReceive() => ranks._messages[rank].TryDequeue(out var message) ? message : null;
    }
}

using System.Security.Cryptography;
using System.Text;
using Microsoft.ML.Agd.Training;

namespace Microsoft.ML.Agd.Search;

public sealed partial class AgdSearch
{
    /// <summary>
    /// The search on several ranks (<see cref="AgdSearchOptions.Communicator"/>): each samples the same configurations, as
    /// many per rank as one process would try, and halves its own share without waiting for the others
    /// (<see cref="AsynchronousHalving"/>), hearing of their trials by message. When a rank has nothing left to promote,
    /// or the exploration's share of the budget is spent, it trains its best configuration on to the budget's end. Then
    /// every rank has heard of every trial, and the rank that trained the best sends its model to the others, so every
    /// rank returns the same result.
    /// </summary>
    private AgdSearchResult AcrossRanks(AgdCommunicator ranks, ConfigurationSpace space, Run run)
    {
        var configurations = space.Sample(_options.InitialTrials * ranks.Size, new Random(_options.Seed));
        var data = run.Data;
        RankShare.Agree(ranks, ("training rows", data.Train.Count), ("validation rows", data.Validation.Count), ("classes", data.Classes),
            ("configurations", configurations.Count), ("a checksum of its configurations of", Checksum(configurations)),
            ("a budget in milliseconds of", (long)_options.Budget.TotalMilliseconds), ("a seed of", _options.Seed));
        var rungs = new List<double> { FirstRungEpochs(data.Train.Count) };
        double Epochs(int rung)
        {
            while (rungs.Count <= rung)
                rungs.Add(Math.Min(Snap(2 * rungs[^1]), _options.MaxEpochs));
            return rungs[rung];
        }
        var halving = new AsynchronousHalving(configurations, ranks.Size, ranks.Rank, Epochs, MeetAt);
        var news = new TrialNews(ranks, configurations, halving, run);
        var exploration = _options.Budget * _options.ExplorationShare;
        while (!run.OutOfTime(exploration) && halving.Next() is { } next)
        {
            // Families compared after the exploration would lose by default, as in RungDeadline.
            var trial = run.Trial(configurations[next.Configuration], next.Rung, Epochs(next.Rung), Epochs(next.Rung) >= MeetAt ? _options.Budget : exploration);
            if (trial is not null) // else its measured pace would overrun the deadline: it is not started
                news.Tell(next.Configuration, trial);
            news.Listen();
        }
        if (halving.Best() is { } best)
        {
            run.Drop(c => c != configurations[best.Configuration]);
            if (run.TrainFinal(configurations[best.Configuration], best.Rung + 1) is { } final)
                news.Tell(best.Configuration, final);
        }
        news.ListenToTheEnd();
        return run.ResultAcrossRanks(BestOfAll(ranks, run, configurations, halving));
    }

    // The best trial's model on every rank: its owner sends it. Every rank knows the same trials, so all take the same turn.
    private static AgdImageClassificationTransformer BestOfAll(AgdCommunicator ranks, Run run, List<AgdConfiguration> configurations, AsynchronousHalving halving)
    {
        var best = run.AllTrials.Where(t => t.ValidationAccuracy is not null).OrderByDescending(t => t.ValidationAccuracy).FirstOrDefault();
        if (best is null)
            return run.Result().BestModel; // throws: no trial finished an epoch
        int owner = halving.OwnerOf(configurations.IndexOf(best.Configuration));
        if (owner == ranks.Rank)
        {
            var model = run.BestModel!;
            var message = AgdModelTransfer.Write(model.Model);
            foreach (int other in Enumerable.Range(0, ranks.Size).Where(r => r != ranks.Rank))
                ranks.Send(other, message);
            return model;
        }
        return run.Receive(best.Configuration, TrialNews.Wait(ranks));
    }

    // Every rank must sample the same configurations; a string checksum that does not vary between processes (unlike GetHashCode).
    private static long Checksum(IEnumerable<AgdConfiguration> configurations)
        => BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join(';', configurations))), 0) & ((1L << 62) - 1);

    /// <summary>What the ranks tell each other: every trial as it ends, and at the end, that every message has arrived.</summary>
    private sealed class TrialNews(AgdCommunicator ranks, List<AgdConfiguration> configurations, AsynchronousHalving halving, Run run)
    {
        private readonly int[] _sent = new int[ranks.Size];
        private int _received;

        /// <summary>Notes this rank's trial and tells every other rank of it.</summary>
        public void Tell(int configuration, AgdTrial trial)
        {
            halving.Record(configuration, trial.Rung, trial.ValidationAccuracy);
            var message = Encode(configuration, trial);
            foreach (int other in Enumerable.Range(0, ranks.Size).Where(r => r != ranks.Rank))
            {
                ranks.Send(other, message);
                _sent[other]++;
            }
        }

        /// <summary>Notes every trial other ranks have told of so far.</summary>
        public void Listen()
        {
            while (ranks.TryReceive() is { } message)
                Heard(message);
        }

        /// <summary>Waits until every trial that any rank told of has arrived here: the ranks first agree how many each sent to each.</summary>
        public void ListenToTheEnd()
        {
            var counts = new float[ranks.Size * ranks.Size];
            for (int to = 0; to < ranks.Size; to++)
                counts[ranks.Rank * ranks.Size + to] = _sent[to];
            ranks.AllReduceSum(counts);
            int expected = (int)Enumerable.Range(0, ranks.Size).Sum(from => counts[from * ranks.Size + ranks.Rank]);
            while (_received < expected)
                Heard(Wait(ranks));
        }

        /// <summary>The next message, waiting for it.</summary>
        public static byte[] Wait(AgdCommunicator ranks)
        {
            while (true)
            {
                if (ranks.TryReceive() is { } message)
                    return message;
                Thread.Sleep(1);
            }
        }

        private void Heard(byte[] message)
        {
            _received++;
            var (configuration, trial) = Decode(message);
            halving.Record(configuration, trial.Rung, trial.ValidationAccuracy);
            run.Hear(trial);
        }

        private static byte[] Encode(int configuration, AgdTrial t)
        {
            using var bytes = new MemoryStream();
            using (var writer = new BinaryWriter(bytes))
            {
                writer.Write(configuration);
                writer.Write(t.Rung);
                writer.Write(t.Epochs);
                writer.Write(t.BestEpoch);
                writer.Write(t.ValidationAccuracy ?? double.NaN);
                writer.Write(t.Seconds);
                writer.Write(t.FinishedAt);
                writer.Write(t.Error ?? "");
            }
            return bytes.ToArray();
        }

        private (int Configuration, AgdTrial Trial) Decode(byte[] message)
        {
            using var reader = new BinaryReader(new MemoryStream(message));
            int configuration = reader.ReadInt32(), rung = reader.ReadInt32();
            double epochs = reader.ReadDouble(), bestEpoch = reader.ReadDouble(), accuracy = reader.ReadDouble(), seconds = reader.ReadDouble(), finishedAt = reader.ReadDouble();
            string error = reader.ReadString();
            return (configuration, new AgdTrial(0, configurations[configuration], rung, epochs, bestEpoch, double.IsNaN(accuracy) ? null : accuracy, seconds, finishedAt,
                error.Length == 0 ? null : error));
        }
    }
}

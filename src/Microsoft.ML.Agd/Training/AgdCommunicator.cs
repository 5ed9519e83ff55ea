namespace Microsoft.ML.Agd.Training;

/// <summary>
/// The processes (ranks) that train one model together, data-parallel: each computes the gradient of its share of every
/// batch, the shares are summed across ranks, and every rank then takes the same step. AGD suits this well: its step
/// needs only the summed gradient, so every rank computes the same G, eta and update. A search across ranks
/// (AgdSearchOptions.Communicator) runs different trials on each and tells the others of each one with a message.
/// </summary>
/// <remarks>
/// MpiCommunicator (in Microsoft.ML.Agd.Distributed) is the implementation for MPI jobs (<c>mpiexec -n 4 ...</c>); a
/// test or another transport may supply its own.
/// </remarks>
public abstract class AgdCommunicator
{
    /// <summary>This process's index among the ranks, from 0.</summary>
    public abstract int Rank { get; }

    /// <summary>How many ranks train together.</summary>
    public abstract int Size { get; }

    /// <summary>Replaces every value with its sum over all ranks; every rank must call it with as many values, and ends with the same sums.</summary>
    /// <param name="values">This rank's values, overwritten with the sums.</param>
    public abstract void AllReduceSum(Span<float> values);

    /// <summary>
    /// Sends a message to another rank without waiting for it to be received (a search's ranks tell each other of every
    /// trial this way, while they train). Messages from one rank to another arrive in the order they were sent.
    /// </summary>
    /// <param name="rank">The rank to send to.</param>
    /// <param name="message">The message; the caller must not change it afterwards.</param>
    public abstract void Send(int rank, byte[] message);

    /// <summary>The next message another rank sent to this one, or null when none has arrived; never waits.</summary>
    public abstract byte[]? TryReceive();
}

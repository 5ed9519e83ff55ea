using System.Runtime.InteropServices;
using Microsoft.ML.Agd.Training;

namespace Microsoft.ML.Agd.Distributed;

/// <summary>
/// The ranks of an MPI job (started by <c>mpiexec -n N</c>, <c>srun</c>, or a cluster's MPI job), over MPI.NET and an
/// MPICH-ABI library: MPICH, Intel MPI, MVAPICH or Cray MPICH (Open MPI is refused by name). Set
/// <c>AGD_MPI_LIBRARY</c> to a library's path where it is not found by name.
/// </summary>
/// <remarks>
/// Start it first thing in a program, before anything that can fail differently on different ranks: a rank that ends
/// before joining leaves the others waiting in MPI's start. Dispose it on every rank at the end (MPI_Finalize); a rank that
/// fails should call <see cref="Abort"/>, which stops the whole job.
/// </remarks>
public sealed class MpiCommunicator : AgdCommunicator, IDisposable
{
    // MPI_IN_PLACE: the sums overwrite the values (MPICH's and Microsoft MPI's value).
    private static readonly IntPtr s_inPlace = new(-1);

    // The tag of messages (Send); the collectives use none.
    private const int MessageTag = 1;

    private readonly MPI.Environment _environment;
    // Messages on their way: MPI reads each from its pinned array until the request completes.
    private readonly List<(int Request, GCHandle Message)> _sending = [];
    private bool _disposed;

    private MpiCommunicator(MPI.Environment environment) => _environment = environment;

    /// <summary>Whether an MPI launcher started this process as one of several ranks (its process-manager variables say so).</summary>
    public static bool IsLaunched => int.TryParse(Environment.GetEnvironmentVariable("PMI_SIZE"), out int size) && size > 1;

    /// <summary>Joins the job: MPI's start, once per process. Every rank of the job must call it.</summary>
    /// <exception cref="InvalidOperationException">No MPICH-ABI library could be loaded, or MPI is already started in this process.</exception>
    public static MpiCommunicator Start()
    {
        MpiLibrary.EnsureLoaded();
        if (MPI.Environment.Initialized)
            throw new InvalidOperationException("MPI is already started in this process: start one MpiCommunicator and share it.");
        string[] arguments = [];
        return new MpiCommunicator(new MPI.Environment(ref arguments, MPI.Threading.Serialized));
    }

    /// <inheritdoc />
    public override int Rank => MPI.Communicator.world.Rank;

    /// <inheritdoc />
    public override int Size => MPI.Communicator.world.Size;

    /// <inheritdoc />
    public override unsafe void AllReduceSum(Span<float> values)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        fixed (float* start = values)
        {
            // MPI counts are ints: a longer buffer goes in pieces.
            for (int done = 0; done < values.Length;)
            {
                int count = Math.Min(values.Length - done, int.MaxValue / 2);
                Check(MPI.Unsafe.MPI_Allreduce(s_inPlace, (IntPtr)(start + done), count, MPI.Unsafe.MPI_FLOAT, MPI.Unsafe.MPI_SUM, MPI.Unsafe.MPI_COMM_WORLD));
                done += count;
            }
        }
    }

    /// <inheritdoc />
    public override void Send(int rank, byte[] message)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(message);
        var pinned = GCHandle.Alloc(message, GCHandleType.Pinned);
        Check(MPI.Unsafe.MPI_Isend(pinned.AddrOfPinnedObject(), message.Length, MPI.Unsafe.MPI_BYTE, rank, MessageTag, MPI.Unsafe.MPI_COMM_WORLD, out int request));
        _sending.Add((request, pinned));
        ReleaseSent(wait: false);
    }

    /// <inheritdoc />
    public override byte[]? TryReceive()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ReleaseSent(wait: false);
        Check(MPI.Unsafe.MPI_Iprobe(MPI.Unsafe.MPI_ANY_SOURCE, MessageTag, MPI.Unsafe.MPI_COMM_WORLD, out int arrived, out var status));
        if (arrived == 0)
            return null;
        Check(MPI.Unsafe.MPI_Get_count(ref status, MPI.Unsafe.MPI_BYTE, out int length));
        var message = new byte[length];
        var pinned = GCHandle.Alloc(message, GCHandleType.Pinned);
        try
        {
            Check(MPI.Unsafe.MPI_Recv(pinned.AddrOfPinnedObject(), length, MPI.Unsafe.MPI_BYTE, status.MPI_SOURCE, MessageTag, MPI.Unsafe.MPI_COMM_WORLD, out status));
        }
        finally
        {
            pinned.Free();
        }
        return message;
    }

    // Unpins the messages MPI has sent; with wait, once every one has been.
    private void ReleaseSent(bool wait)
    {
        for (int i = _sending.Count - 1; i >= 0; i--)
        {
            var (request, message) = _sending[i];
            int done = 0;
            Check(wait ? MPI.Unsafe.MPI_Wait(ref request, out _) : MPI.Unsafe.MPI_Test(ref request, out done, out _));
            if (wait || done != 0)
            {
                message.Free();
                _sending.RemoveAt(i);
            }
        }
    }

    private static void Check(int code)
    {
        if (code != 0)
            throw MPI.Environment.TranslateErrorIntoException(code);
    }

    /// <summary>Ends every rank of the job with an exit code (MPI_Abort): for a rank that cannot go on, so that no other waits for it.</summary>
    /// <param name="exitCode">The job's exit code; not zero.</param>
    public void Abort(int exitCode) => MPI.Communicator.world.Abort(exitCode);

    /// <summary>Leaves the job (MPI_Finalize), after every rank's last exchange.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        ReleaseSent(wait: true);
        _disposed = true;
        _environment.Dispose();
    }
}

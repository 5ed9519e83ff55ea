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

    private readonly MPI.Environment _environment;
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
                int code = MPI.Unsafe.MPI_Allreduce(s_inPlace, (IntPtr)(start + done), count, MPI.Unsafe.MPI_FLOAT, MPI.Unsafe.MPI_SUM, MPI.Unsafe.MPI_COMM_WORLD);
                if (code != 0)
                    throw MPI.Environment.TranslateErrorIntoException(code);
                done += count;
            }
        }
    }

    /// <summary>Ends every rank of the job with an exit code (MPI_Abort): for a rank that cannot go on, so that no other waits for it.</summary>
    /// <param name="exitCode">The job's exit code; not zero.</param>
    public void Abort(int exitCode) => MPI.Communicator.world.Abort(exitCode);

    /// <summary>Leaves the job (MPI_Finalize), after every rank's last exchange.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _environment.Dispose();
    }
}

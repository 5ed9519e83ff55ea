using System.Runtime.InteropServices;
using Microsoft.ML.Agd.Native;

namespace Microsoft.ML.Agd.Distributed;

/// <summary>
/// Points MPI.NET at this machine's MPI library. MPI.NET is built for Microsoft MPI and calls "msmpi.dll"; MPICH's library
/// (and Intel MPI's, Cray MPICH's, MVAPICH's) has the same ABI: the same entry points, and handles that are the same
/// integers. Open MPI's handles are pointers, which MPI.NET cannot pass: it is refused by name.
/// </summary>
internal static class MpiLibrary
{
    /// <summary>The variable that names another MPICH-ABI library (a path or a file name).</summary>
    public const string LibraryVariable = "AGD_MPI_LIBRARY";

    private static readonly string[] s_candidates = ["libmpich.so.12", "libmpi.so.12", "msmpi.dll"];
    private static readonly Lazy<IntPtr> s_handle = new(Load);

    /// <summary>Loads the library once, before MPI.NET's first call; throws a named error where there is none, or only Open MPI.</summary>
    /// <exception cref="InvalidOperationException">No MPICH-ABI library could be loaded; the message says what to install or set.</exception>
    public static void EnsureLoaded() => _ = s_handle.Value;

    private static IntPtr Load()
    {
        // UCX (MPICH's transport on Debian) replaces the SIGSEGV handler .NET needs for NullReferenceException, unless told
        // not to before it loads; .NET's Environment.SetEnvironmentVariable is not seen by native code on Unix.
        NativeEnvironment.Set("UCX_ERROR_SIGNALS", "", replace: true);
        string? named = Environment.GetEnvironmentVariable(LibraryVariable);
        var tried = new List<string>();
        foreach (string name in named is { Length: > 0 } ? [named] : s_candidates)
        {
            if (!NativeLibrary.TryLoad(name, out IntPtr handle))
            {
                tried.Add(name);
                continue;
            }
            if (NativeLibrary.TryGetExport(handle, "ompi_mpi_comm_world", out _))
                throw new InvalidOperationException($"'{name}' is Open MPI's library, whose handles are pointers that MPI.NET cannot pass. " +
                    $"Run with MPICH (Debian/Ubuntu: apt-get install mpich; then mpiexec.mpich), or set {LibraryVariable} to an MPICH-ABI library " +
                    "(MPICH, Intel MPI, MVAPICH, Cray MPICH).");
            if (!NativeLibrary.TryGetExport(handle, "MPI_Initialized", out _))
                throw new InvalidOperationException($"'{name}' is not an MPI library: it has no MPI_Initialized. Set {LibraryVariable} to an MPICH-ABI library " +
                    "(MPICH's libmpich.so.12, Intel MPI, MVAPICH, Cray MPICH), or leave it unset to find MPICH's.");
            NativeLibrary.SetDllImportResolver(typeof(MPI.Environment).Assembly, (library, _, _) => library == "msmpi.dll" ? handle : IntPtr.Zero);
            return handle;
        }
        throw new InvalidOperationException($"No MPI library could be loaded (tried {string.Join(", ", tried)}). Install MPICH (Debian/Ubuntu: " +
            $"apt-get install mpich), or set {LibraryVariable} to the path of an MPICH-ABI library (MPICH, Intel MPI, MVAPICH, Cray MPICH).");
    }
}

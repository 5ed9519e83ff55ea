using System.Globalization;
using System.Runtime.InteropServices;

namespace Microsoft.ML.Agd.Samples.Cli;

/// <summary>
/// What agd needs of the process it starts in, checked first: a working folder that exists, standard streams that are
/// open, and numbers read and written the same way in every locale (a German LANG would read "0.5" as 5).
/// </summary>
internal static partial class Surroundings
{
    /// <summary>Makes the process fit to run a verb; returns why it cannot, or null.</summary>
    public static string? Prepare()
    {
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.DefaultThreadCurrentUICulture = CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        // A closed standard stream's number goes to the next file opened (the runtime opens some before Main), and the
        // console would write into that file or fail: errors then go nowhere, and output is refused.
        if (!Writable(2))
            Console.SetError(TextWriter.Null);
        if (!Writable(1))
            return "agd's standard output is closed (>&-), so what it prints would be lost: send it to a file or to /dev/null instead (> out.txt).";
        try
        {
            _ = Environment.CurrentDirectory;
        }
        catch (IOException)
        {
            return "the working folder no longer exists (it was deleted after this shell entered it), so relative paths name nothing: cd to a folder that exists and run agd again.";
        }
        return null;
    }

    // Whether a descriptor is open for writing (where the system can tell: Linux).
    private static bool Writable(int descriptor)
    {
        if (!OperatingSystem.IsLinux())
            return true;
        const int GetStatusFlags = 3, AccessMode = 3, WriteOnly = 1, ReadWrite = 2;
        int flags = Fcntl(descriptor, GetStatusFlags);
        return flags != -1 && (flags & AccessMode) is WriteOnly or ReadWrite;
    }

    [LibraryImport("libc", EntryPoint = "fcntl")]
    private static partial int Fcntl(int descriptor, int command);
}

using System.Runtime.InteropServices;

namespace Microsoft.ML.Agd.Native;

/// <summary>
/// Variables in the C library's environment, where native libraries read them with getenv: on Unix .NET's
/// <see cref="Environment.SetEnvironmentVariable(string, string)"/> keeps a copy of its own that native code does not see.
/// Each must be set before the library that reads it loads.
/// </summary>
internal static partial class NativeEnvironment
{
    /// <summary>Sets a variable for native code on Unix (Windows' native code sees .NET's own); a value already set is kept unless <paramref name="replace"/>.</summary>
    public static void Set(string name, string value, bool replace)
    {
        if (!OperatingSystem.IsWindows())
            _ = SetEnvironment(name, value, replace ? 1 : 0);
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnvironment(string name, string value, int overwrite);
}

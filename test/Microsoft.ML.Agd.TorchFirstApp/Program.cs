using System.Runtime.CompilerServices;
using static TorchSharp.torch;
using Microsoft.ML.Agd.Native;

/// <summary>
/// Calls TorchSharp, then the library, printing what each did. Main itself names no type of the library, so the library's
/// assembly is not loaded (and its module initializer has not run) when TorchSharp first loads its native backend.
/// </summary>
internal static class Program
{
    private static void Main()
    {
        Console.WriteLine($"torch: {Try(CallTorchSharp)}");
        Console.WriteLine($"agd: {Try(CallLibrary)}");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CallTorchSharp()
    {
        using var x = randn(2, 2);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CallLibrary() => TorchNative.EnsureLoaded();

    private static string Try(Action call)
    {
        try
        {
            call();
            return "ok";
        }
        catch (InvalidOperationException e)
        {
            return e.Message;
        }
        catch (Exception e)
        {
            return e.GetType().Name;
        }
    }
}

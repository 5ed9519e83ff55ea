[assembly: Parallelize(Scope = ExecutionScope.ClassLevel, Workers = 2)]

namespace Microsoft.ML.Agd.Tests;

[TestClass]
public static class TestSetup
{
    /// <summary>
    /// The category of tests that build projects or start agd processes: the slowest, which <c>build/test.sh --quick</c>
    /// leaves out for a developer's inner loop (the whole suite stays what CI runs).
    /// </summary>
    public const string Integration = "Integration";

    // Some tests touch TorchSharp before any type of the library under test, as an application may.
    [AssemblyInitialize]
    public static void LoadNative(TestContext _) => TorchNative.EnsureLoaded();
}

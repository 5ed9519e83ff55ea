[assembly: Parallelize(Scope = ExecutionScope.ClassLevel, Workers = 2)]

namespace Microsoft.ML.Agd.Tests;

[TestClass]
public static class TestSetup
{
    // Some tests touch TorchSharp before any type of the library under test, as an application may.
    [AssemblyInitialize]
    public static void LoadNative(TestContext _) => TorchNative.EnsureLoaded();
}

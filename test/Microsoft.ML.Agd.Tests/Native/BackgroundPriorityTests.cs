namespace Microsoft.ML.Agd.Tests.Native;

[TestClass]
public class BackgroundPriorityTests
{
    // A thread's nice value as Linux reports it: the 19th field of /proc/thread-self/stat, counted after the command name.
    private static int NiceOfThisThread() => int.Parse(File.ReadAllText("/proc/thread-self/stat").Split(") ")[1].Split(' ')[16]);

    [TestMethod]
    public void LowersTheCallingThreadAndNoOther()
    {
        if (!OperatingSystem.IsLinux())
            Assert.Inconclusive("Thread nice values are read from Linux's /proc.");
        int before = NiceOfThisThread();
        int lowered = int.MinValue, sibling = int.MinValue;
        var thread = new Thread(() =>
        {
            BackgroundPriority.LowerCurrentThread();
            lowered = NiceOfThisThread();
        });
        thread.Start();
        thread.Join();
        var other = new Thread(() => sibling = NiceOfThisThread());
        other.Start();
        other.Join();
        Assert.AreEqual(19, lowered, "the calling thread runs at the lowest priority");
        Assert.AreEqual(before, NiceOfThisThread(), "the thread that started it keeps its own");
        Assert.AreEqual(before, sibling, "a thread started afterwards keeps the process's");
    }
}

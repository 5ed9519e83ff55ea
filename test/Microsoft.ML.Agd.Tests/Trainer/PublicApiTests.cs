using System.Reflection;

namespace Microsoft.ML.Agd.Tests.Trainer;

[TestClass]
public class PublicApiTests
{
    private static readonly string[] s_tuningKnobs = ["learningrate", "lr", "momentum", "schedule", "schedul", "weightdecay", "decay", "beta1", "beta2", "warmup"];

    [TestMethod]
    public void NoPublicOptionSetsALearningRateScheduleOrMomentum()
    {
        var names = new List<string>();
        foreach (var type in typeof(AgdOptimizer).Assembly.GetExportedTypes())
        {
            names.Add(type.Name);
            foreach (var member in type.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                names.Add(member.Name);
                if (member is MethodBase method)
                    names.AddRange(method.GetParameters().Select(p => p.Name ?? ""));
            }
        }
        Assert.IsTrue(names.Count > 50, "The scan must see the public API.");
        CollectionAssert.Contains(names, "NumberOfEpochs", "The scan reaches the options.");
        var offending = names.Where(n => s_tuningKnobs.Any(k => Normalise(n) == k || Normalise(n).Contains(k) && k.Length > 2)).Distinct().ToList();
        Assert.AreEqual(0, offending.Count, $"Tuning knobs in the public API: {string.Join(", ", offending)}");
    }

    private static string Normalise(string name) => name.Replace("_", "").ToLowerInvariant();
}

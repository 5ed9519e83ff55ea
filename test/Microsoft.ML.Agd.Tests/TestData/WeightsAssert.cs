using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Tests.TestData;

/// <summary>Two trainings' weights compared value by value, as float32 rounding allows.</summary>
internal static class WeightsAssert
{
    /// <summary>Every weight within 1e-4 of the largest of <paramref name="expected"/>; <paramref name="whose"/> names the other run.</summary>
    public static void Close(float[] expected, float[] actual, string whose)
    {
        Assert.AreEqual(expected.Length, actual.Length, $"{whose} weights are as many.");
        double largest = expected.Max(Math.Abs), difference = expected.Zip(actual, (a, b) => Math.Abs(a - b)).Max();
        Assert.IsTrue(difference <= 1e-4 * largest, $"{whose} weights differ from one process's by {difference:G3} (largest weight {largest:G3}).");
    }

    /// <summary>A network's parameters, flattened in order.</summary>
    public static float[] Of(nn.Module network) => network.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();
}

using Microsoft.ML.Agd.Optim;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Tests.Optim;

[TestClass]
public class SquareSumsTests
{
    [TestMethod]
    public void SumsOfSquaresPerPositionMatchFloat64()
    {
        manual_seed(5);
        // Sizes around the SIMD block and the 2^18-float work items, with tails; periods of a matrix and of kernels.
        var cases = new (long Size, int Period)[] { (1, 1), (7, 1), (8, 1), (300_001, 1), (9, 9), (9 * 8 * 3 + 9, 9), (9 * 70_001, 9), (25 * 1_001, 25), (49 * 3, 49) };
        var tensors = cases.Select(c => randn(c.Size)).ToList();
        var sums = SquareSums.Compute(tensors, cases.Select(c => c.Period).ToList());
        for (int k = 0; k < cases.Length; k++)
        {
            var values = tensors[k].data<float>().ToArray();
            var expected = new double[cases[k].Period];
            for (int i = 0; i < values.Length; i++)
                expected[i % cases[k].Period] += (double)values[i] * values[i];
            Assert.AreEqual(cases[k].Period, sums[k].Length);
            for (int p = 0; p < expected.Length; p++)
                Assert.AreEqual(expected[p], sums[k][p], 1e-6 * Math.Max(1, expected[p]), $"size {cases[k].Size}, period {cases[k].Period}, position {p}");
        }
    }

    [TestMethod]
    public void OnlyContiguousFloat32TensorsInCpuMemoryAreReadInPlace()
    {
        Assert.IsTrue(SquareSums.CanRead(zeros(4, 9), 9));
        Assert.IsFalse(SquareSums.CanRead(zeros(4, 9, dtype: float64), 9));
        Assert.IsFalse(SquareSums.CanRead(zeros(9, 4).t(), 9));
        Assert.IsFalse(SquareSums.CanRead(zeros(4, 121), 121));
    }
}

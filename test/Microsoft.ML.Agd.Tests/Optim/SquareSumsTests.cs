using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Tests.Optim;

[TestClass]
public class SquareSumsTests
{
    [TestMethod]
    public void SumsOfSquaresPerPositionMatchFloat64()
    {
        manual_seed(5);
        // Sizes around the SIMD block (a period's worth of vectors) and the float flushes, with tails; 3x3 kernels have
        // their own loop, other kernel sizes the general one.
        var cases = new (long Size, int Period)[] { (9, 9), (9 * 8 * 3 + 9, 9), (9 * 70_001, 9), (4, 4), (25 * 1_001, 25), (49 * 3, 49) };
        foreach (var (size, period) in cases)
        {
            var tensor = randn(size);
            var sums = SquareSums.Compute(tensor, period);
            var values = tensor.data<float>().ToArray();
            var expected = new double[period];
            for (int i = 0; i < values.Length; i++)
                expected[i % period] += (double)values[i] * values[i];
            Assert.AreEqual(period, sums.Length);
            for (int p = 0; p < expected.Length; p++)
                Assert.AreEqual(expected[p], sums[p], 1e-6 * Math.Max(1, expected[p]), $"size {size}, period {period}, position {p}");
        }
    }

    [TestMethod]
    public void OnlyContiguousFloat32KernelsInCpuMemoryAreReadInPlace()
    {
        Assert.IsTrue(SquareSums.CanRead(zeros(4, 9), 9));
        Assert.IsFalse(SquareSums.CanRead(zeros(4, 9), 1), "a matrix or 1x1 kernel: a BLAS dot product");
        Assert.IsFalse(SquareSums.CanRead(zeros(4, 9, dtype: float64), 9));
        Assert.IsFalse(SquareSums.CanRead(zeros(9, 4).t(), 9));
        Assert.IsFalse(SquareSums.CanRead(zeros(4, 121), 121));
    }
}

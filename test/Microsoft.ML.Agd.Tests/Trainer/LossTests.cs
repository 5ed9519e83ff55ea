using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Tests.Trainer;

[TestClass]
public class LossTests
{
    private static readonly float[] Logits = [1f, 2f, 3f, 0.5f, -1f, 2f];
    private static readonly long[] Labels = [2, 0];

    [TestMethod]
    public void SquareLossIsTheMeanSquaredDistanceToTheScaledOneHotTarget()
    {
        double root3 = Math.Sqrt(3);
        double expected = (1 + 4 + Math.Pow(3 - root3, 2) + Math.Pow(0.5 - root3, 2) + 1 + 4) / 6;
        Assert.AreEqual(expected, AgdLoss.Square.Compute(tensor(Logits).view(2, 3), tensor(Labels)).item<float>(), 1e-6);
    }

    [TestMethod]
    public void CrossEntropyIsTheMeanNegativeLogSoftmaxOfTheLabel()
    {
        double first = Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3)) - 3;
        double second = Math.Log(Math.Exp(0.5) + Math.Exp(-1) + Math.Exp(2)) - 0.5;
        Assert.AreEqual((first + second) / 2, AgdLoss.CrossEntropy.Compute(tensor(Logits).view(2, 3), tensor(Labels)).item<float>(), 1e-6);
    }
}

using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Tests.Models;

[TestClass]
public class ModelTests
{
    [TestMethod]
    public void FcnHasThePaperShapeAndParameterCount()
    {
        var net = new Fcn(inputSize: 784, width: 128, depth: 4, classes: 10);
        Assert.AreEqual(784L * 128 + 2 * 128 * 128 + 128 * 10, Count(net));
        Assert.IsTrue(net.parameters().All(p => p.dim() == 2), "The paper's FCN has no biases.");
        using var output = net.call(randn(5, 1, 28, 28));
        CollectionAssert.AreEqual(new long[] { 5, 10 }, output.shape);
        Assert.AreEqual(784L * 128 + 2 * 128 * 128 + 128 * 10 + 128 * 3 + 10, Count(new Fcn(784, 128, 4, 10, bias: true)));
    }

    [TestMethod]
    public void FcnHiddenLayersAreReluTimesSqrtTwo()
    {
        var net = new Fcn(inputSize: 2, width: 2, depth: 2, classes: 1);
        var layers = net.parameters().ToList();
        using (no_grad())
        {
            layers[0].copy_(tensor(new float[] { 1, 0, 0, -1 }, 2, 2));
            layers[1].copy_(tensor(new float[] { 1, 1 }, 1, 2));
        }
        // Hidden = relu([x0, -x1]) * sqrt(2); output = sum of hidden.
        using var output = net.call(tensor(new float[] { 3, 2 }, 1, 2));
        Assert.AreEqual(3 * Math.Sqrt(2), output.item<float>(), 1e-5);
    }

    [TestMethod]
    [DataRow(18, 1, 28)]
    [DataRow(34, 3, 32)]
    [DataRow(50, 3, 32)]
    public void ResNetsTakeGreyAndColourImagesOfAnySize(int depth, int channels, int size)
    {
        var net = new PreActResNet(depth, classes: 7, inputChannels: channels, baseWidth: 4);
        net.eval();
        using var output = net.call(randn(2, channels, size, size));
        CollectionAssert.AreEqual(new long[] { 2, 7 }, output.shape);
    }

    [TestMethod]
    // The CIFAR ResNets' published counts (11,173,962 / 21,282,122 / 23,520,842) less their batch-norm scales and shifts
    // (2 x 4,800 / 8,512 / 26,560 channels) and the classifier's 10 biases, which the paper's networks do not have.
    [DataRow(18, 11_164_352L)]
    [DataRow(34, 21_265_088L)]
    [DataRow(50, 23_467_712L)]
    public void ResNetParameterCountsMatchTheClosedForm(int depth, long published)
    {
        var net = new PreActResNet(depth, classes: 10, inputChannels: 3, baseWidth: 64);
        Assert.AreEqual(ClosedFormResNet(depth, 3, 64, 10), Count(net));
        Assert.AreEqual(published, Count(net));
        Assert.IsTrue(net.parameters().All(p => p.dim() is 2 or 4), "No biases and no affine normalisation by default.");
    }

    [TestMethod]
    public void ResNetRejectsAnUnknownDepth()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new PreActResNet(20, 10));
        StringAssert.Contains(e.Message, "18, 34 and 50");
    }

    private static long Count(nn.Module module) => module.parameters().Sum(p => p.numel());

    // Convolution weights of a CIFAR-stem pre-activation ResNet plus the bias-free classifier, counted by hand.
    private static long ClosedFormResNet(int depth, long channels, long width, long classes)
    {
        int[] stages = depth == 18 ? [2, 2, 2, 2] : [3, 4, 6, 3];
        bool bottleneck = depth == 50;
        long expansion = bottleneck ? 4 : 1;
        long total = channels * width * 9, inPlanes = width;
        for (int s = 0; s < 4; s++)
        {
            long planes = width << s;
            for (int b = 0; b < stages[s]; b++)
            {
                total += bottleneck
                    ? inPlanes * planes + planes * planes * 9 + planes * planes * 4
                    : inPlanes * planes * 9 + planes * planes * 9;
                if ((s > 0 && b == 0) || inPlanes != planes * expansion)
                    total += inPlanes * planes * expansion;
                inPlanes = planes * expansion;
            }
        }
        return total + inPlanes * classes;
    }
}

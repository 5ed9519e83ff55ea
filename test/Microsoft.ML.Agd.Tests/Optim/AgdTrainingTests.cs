using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Tests.Optim;

[TestClass]
public class AgdTrainingTests
{
    [TestMethod]
    public void AgdWithoutTuningDrivesDownTheLossOfAnFcn()
    {
        torch.manual_seed(10);
        // A teacher network's labels on Gaussian inputs: learnable, not trivially separable.
        var inputs = randn(256, 1, 4, 4);
        var labels = new Fcn(16, 32, 2, 4).call(inputs).argmax(1);
        var (first, last) = Train(new Fcn(inputSize: 16, width: 64, depth: 3, classes: 4), inputs, labels, steps: 60);
        Assert.IsTrue(last < 0.5 * first, $"loss {first} -> {last}");
    }

    [TestMethod]
    public void AgdWithoutTuningDrivesDownTheLossOfAResNet()
    {
        torch.manual_seed(11);
        var inputs = randn(32, 3, 8, 8);
        var labels = arange(32).remainder(4);
        // Make the class visible in the image: a class-dependent offset in one channel.
        inputs[.., 0] += labels.to(float32).view(-1, 1, 1);
        var (first, last) = Train(new PreActResNet(18, classes: 4, inputChannels: 3, baseWidth: 4), inputs, labels, steps: 60);
        Assert.IsTrue(last < 0.5 * first, $"loss {first} -> {last}");
    }

    private static (double First, double Last) Train(nn.Module<Tensor, Tensor> net, Tensor inputs, Tensor labels, int steps)
    {
        var optimizer = new AgdOptimizer(net);
        AgdInitialization.Apply(net);
        net.train();
        var losses = new List<double>();
        for (int i = 0; i < steps; i++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = AgdLoss.Square.Compute(net.call(inputs), labels);
            loss.backward();
            double eta = optimizer.StepEta();
            Assert.IsTrue(eta > 0 && double.IsFinite(eta));
            losses.Add(loss.item<float>());
        }
        return (losses[0], losses.TakeLast(3).Average());
    }
}

namespace Microsoft.ML.Agd.Tests.Optim;

[TestClass]
public class LayerGroupingTests
{
    [TestMethod]
    public void AResNetWithAffineNormsGroupsEachNormWithTheConvolutionItFeeds()
    {
        var network = new PreActResNet(18, classes: 3, inputChannels: 1, baseWidth: 4, bias: true, affine: true);
        var layers = AgdPlan.Of(network).Layers.ToDictionary(l => l.Name, l => l.Members.Select(m => m.Name).ToList());

        for (int block = 0; block < 8; block++)
            for (int i = 0; i < 2; i++)
                CollectionAssert.AreEqual(new[] { $"blocks.{block}.convs.{i}.bias", $"blocks.{block}.norms.{i}.weight", $"blocks.{block}.norms.{i}.bias" },
                    layers[$"blocks.{block}.convs.{i}.weight"], $"block {block}, convolution {i}");
        foreach (int block in new[] { 2, 4, 6 })
            CollectionAssert.AreEqual(new[] { $"blocks.{block}.shortcut.bias" }, layers[$"blocks.{block}.shortcut.weight"], "a shortcut keeps only its bias");
        CollectionAssert.AreEqual(new[] { "stem.bias" }, layers["stem.weight"]);
        CollectionAssert.AreEqual(new[] { "classifier.bias", "finalNorm.weight", "finalNorm.bias" }, layers["classifier.weight"]);
        Assert.AreEqual(1 + 16 + 3 + 1, layers.Count);

        // Every rank-1 parameter in exactly one layer.
        var rankOne = network.named_parameters().Where(p => p.parameter.dim() == 1).Select(p => p.name).Order().ToList();
        CollectionAssert.AreEqual(rankOne, layers.Values.SelectMany(m => m).Order().ToList());
    }

    [TestMethod]
    public void WithoutADeclarationANormJoinsTheWeightBeforeIt()
    {
        var network = TorchSharp.torch.nn.Sequential(("conv", TorchSharp.torch.nn.Conv2d(1, 4, 3)), ("norm", TorchSharp.torch.nn.BatchNorm2d(4)), ("out", TorchSharp.torch.nn.Linear(4, 2)));
        var layers = AgdPlan.Of(network).Layers;
        CollectionAssert.AreEqual(new[] { "conv.bias", "norm.weight", "norm.bias" }, layers[0].Members.Select(m => m.Name).ToArray());
        Assert.IsTrue(layers[0].Members.Single(m => m.Name == "norm.weight").IsScale);
    }
}

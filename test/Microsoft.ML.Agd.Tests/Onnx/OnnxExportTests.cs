using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Tests.Onnx;

[TestClass]
public class OnnxExportTests
{
    [TestMethod]
    [DataRow(AgdArchitecture.Fcn, 1, 8)]
    [DataRow(AgdArchitecture.ResNet18, 3, 8)]
    [DataRow(AgdArchitecture.ResNet50, 1, 8)]
    public void OnnxRuntimeComputesWhatTheNetworkComputes(AgdArchitecture architecture, int channels, int size)
    {
        var ml = new MLContext(seed: 1);
        var data = DataViews.Prepare(ml, SyntheticImages.Vectors(6, size, seed: 2, channels));
        var model = ml.MulticlassClassification.Trainers.Agd(new AgdImageClassificationTrainer.Options
        {
            Architecture = architecture, ImageShape = new AgdImageShape(channels, size, size), NumberOfEpochs = 2, BatchSize = 6, BaseWidth = 2, Width = 16,
        }).Fit(data).Model;

        var stream = new MemoryStream();
        model.ExportOnnx(stream);
        using var session = new InferenceSession(stream.ToArray());

        torch.manual_seed(3);
        using var images = rand(5, channels, size, size);
        using var expected = nn.functional.softmax(model.Network.call(images), 1);
        var input = new DenseTensor<float>(images.reshape(5, -1).data<float>().ToArray(), [5, channels * size * size]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("features", input)]);

        var scores = results.Single(r => r.Name == "scores").AsTensor<float>();
        CollectionAssert.AreEqual(new[] { 5, 3 }, scores.Dimensions.ToArray());
        var want = expected.data<float>().ToArray();
        for (int i = 0; i < want.Length; i++)
            Assert.AreEqual(want[i], scores.GetValue(i), 1e-4, $"score {i}");

        var labels = results.Single(r => r.Name == "predicted_label").AsTensor<string>().ToArray();
        var argmax = expected.argmax(1).data<long>().ToArray();
        CollectionAssert.AreEqual(argmax.Select(k => model.ClassNames[(int)k]).ToArray(), labels);
    }

    [TestMethod]
    public void ImageNetStemBiasesAndAffineBatchNormsExportExactly()
    {
        torch.manual_seed(4);
        var network = new PreActResNet(18, classes: 4, inputChannels: 1, baseWidth: 2, imageNetStem: true, bias: true, affine: true);
        using (no_grad())
        {
            network.train();
            for (int i = 0; i < 3; i++)
                network.call(rand(8, 1, 16, 16)); // running statistics away from their initial values
            foreach (var p in network.parameters().Where(p => p.dim() == 1))
                p.add_(randn_like(p) * 0.1);
        }
        network.eval();
        var bytes = Microsoft.ML.Agd.OnnxExport.Export(network, new AgdImageShape(1, 16, 16), ["a", "b", "c", "d"], "features");
        using var session = new InferenceSession(bytes);
        using var images = rand(3, 1, 16, 16);
        using var expected = nn.functional.softmax(network.call(images), 1);
        var input = new DenseTensor<float>(images.reshape(3, -1).data<float>().ToArray(), [3, 256]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("features", input)]);
        var scores = results.Single(r => r.Name == "scores").AsTensor<float>().ToArray();
        var want = expected.data<float>().ToArray();
        for (int i = 0; i < want.Length; i++)
            Assert.AreEqual(want[i], scores[i], 1e-4, $"score {i}");
    }
}

using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;
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
        var data = Trainer.EndToEndTests.Prepare(ml, Trainer.SyntheticImages.Vectors(6, size, seed: 2, channels));
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
}

using Microsoft.ML.Data;

namespace Microsoft.ML.Agd.Tests.Trainer;

[TestClass]
public class MemoryTests
{
    [TestMethod]
    public void LiveTensorsDoNotGrowWithEpochs()
    {
        long LiveAfterTraining(int epochs)
        {
            var ml = new MLContext(seed: 1);
            var data = DataViews.Prepare(ml, SyntheticImages.Vectors(10, 8, seed: 2));
            long before = TensorAssert.LiveTensors;
            var model = ml.MulticlassClassification.Trainers.Agd(new AgdImageClassificationTrainer.Options
            {
                Architecture = AgdArchitecture.ResNet18, ImageShape = new AgdImageShape(1, 8, 8), BaseWidth = 2, NumberOfEpochs = epochs, BatchSize = 5,
            }).Fit(data);
            long live = TensorAssert.LiveTensors - before;
            model.Model.Network.Dispose();
            return live;
        }
        long two = LiveAfterTraining(2);
        long ten = LiveAfterTraining(10);
        Assert.AreEqual(two, ten, "What outlives training (the network's parameters and buffers) must not depend on the epochs.");
    }

    public sealed class Image8x8
    {
        [VectorType(64)]
        public float[] Features { get; set; } = [];
        public string Label { get; set; } = "";
    }

    [TestMethod]
    [DoNotParallelize] // resident memory is the whole process's: other tests must not run meanwhile
    public void NativeMemoryStaysFlatOverManyPredictions()
    {
        var ml = new MLContext(seed: 3);
        var rows = SyntheticImages.Vectors(10, 8, seed: 4);
        var model = ml.MulticlassClassification.Trainers.Agd(numberOfEpochs: 2, batchSize: 10).Fit(DataViews.Prepare(ml, rows));
        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(DataViews.Load(ml, rows));
        var engine = ml.Model.CreatePredictionEngine<Image8x8, ScoredRow>(keys.Append(model));
        void Predict(int count)
        {
            for (int i = 0; i < count; i++)
                engine.Predict(new Image8x8 { Features = rows[i % rows.Count].Features });
        }
        Predict(2000); // warm up: allocator pools and ONNX Runtime's arenas reach their size
        long before = ResidentBytes();
        Predict(20000);
        long growth = ResidentBytes() - before;
        Assert.IsTrue(growth < 20L << 20, $"Resident memory grew by {growth >> 20} MiB over 20,000 predictions.");
    }

    private static long ResidentBytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var fields = File.ReadAllText("/proc/self/statm").Split(' ');
        return long.Parse(fields[1]) * Environment.SystemPageSize;
    }
}

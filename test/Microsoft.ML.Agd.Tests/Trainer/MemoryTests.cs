using static TorchSharp.torch;
using Microsoft.ML.Data;

namespace Microsoft.ML.Agd.Tests.Trainer;

[TestClass]
public class MemoryTests
{
    [TestMethod]
    [DataRow(AgdArchitecture.ResNet18)]
    [DataRow(AgdArchitecture.Fcn)] // its linear layers stepped from the factors their forward hooks keep
    public void LiveTensorsDoNotGrowWithEpochs(AgdArchitecture architecture)
    {
        long LiveAfterTraining(int epochs)
        {
            var ml = new MLContext(seed: 1);
            var data = DataViews.Prepare(ml, SyntheticImages.Vectors(10, 8, seed: 2));
            long before = TensorAssert.LiveTensors;
            var model = ml.MulticlassClassification.Trainers.Agd(new AgdImageClassificationTrainer.Options
            {
                Architecture = architecture, ImageShape = new AgdImageShape(1, 8, 8), BaseWidth = 2, Width = 32, NumberOfEpochs = epochs, BatchSize = 6,
            }).Fit(data);
            long live = TensorAssert.LiveTensors - before;
            model.Model.Network.Dispose();
            return live;
        }
        long two = LiveAfterTraining(2);
        long ten = LiveAfterTraining(10);
        Assert.AreEqual(two, ten, "What outlives training (the network's parameters and buffers) must not depend on the epochs.");
    }

    [TestMethod]
    public void TheModuleOutputsAreCountedAsTheirShapesSay()
    {
        // 4 channels of 8 x 8 from the convolution and again from the ReLU, their 256 flattened, then 3 logits.
        using var network = nn.Sequential(nn.Conv2d(1, 4, 3, padding: 1), nn.ReLU(), nn.Flatten(), nn.Linear(256, 3));
        network.train();
        var (outputs, unfolds) = ModuleOutputs.PerImage(network, new AgdImageShape(1, 8, 8));
        Assert.AreEqual(256 + 256 + 256 + 3, outputs);
        CollectionAssert.AreEqual(new[] { 8.0 * 8 * 1 * 3 * 3 }, unfolds.ToArray(), "The convolution's 64 positions, each a 1 x 3 x 3 patch.");
        Assert.IsTrue(network.training, "The count leaves the network's mode as it was.");
        // An FCN's linear layers: two hidden of width 16, then 3 logits (its ReLUs are not modules).
        using var fcn = new Fcn(28 * 28, 16, 3, 3);
        Assert.AreEqual(16 + 16 + 3, ModuleOutputs.PerImage(fcn, new AgdImageShape(1, 28, 28)).Outputs);
    }

    [TestMethod]
    public void AResNetsActivationsAreScaledFromASmallOneAsTheFullOneCountsThem()
    {
        // Counted at base width 1 on at most 256 x 256 and scaled; the network itself counted at its size.
        foreach (var (architecture, shape) in new[] { (AgdArchitecture.ResNet18, new AgdImageShape(3, 512, 384)), (AgdArchitecture.ResNet50, new AgdImageShape(1, 100, 60)) })
        {
            var size = Size(architecture, shape, 2);
            using var network = AgdNetworks.Create(architecture, shape, 10, baseWidth: 2);
            var (exact, unfolds) = ModuleOutputs.PerImage(network, shape);
            Assert.AreEqual(exact, size.OutputsPerImage, exact * 0.02, $"{architecture} on {shape}");
            Assert.AreEqual(unfolds.Max(), size.UnfoldPerImage, unfolds.Max() * 0.02, $"{architecture} on {shape}: the largest unfold");
            Assert.AreEqual(network.parameters().Sum(p => (double)p.numel()), size.Parameters, 0.5);
        }
    }

    [TestMethod]
    public void TheAutomaticFirstBatchOfHugeImagesIsWhatTheirActivationsLeaveRoomFor()
    {
        // ResNet-18 of base width 64 on 3000 x 3000 RGB images: about 3 GB of module outputs an image, which training
        // keeps three times over. The 2 GiB a batch is read into would allow 19.
        var shape = new AgdImageShape(3, 3000, 3000);
        var size = Size(AgdArchitecture.ResNet18, shape, 64);
        int first = TrainingMemory.FirstBatch(shape, size);
        Assert.IsTrue(first is >= 2 and < 19, $"first batch {first}");
        double training = first * (2.0 * shape.Size + 3 * size.OutputsPerImage + 2 * size.UnfoldPerImage) * sizeof(float);
        Assert.IsTrue(first == 2 || training <= TrainingMemory.Available / 2, $"A first batch of {first} needs {training / 1e9:G3} GB of {TrainingMemory.Available / 1e9:G3}.");
        Assert.IsTrue(TrainingMemory.LargestBatch(shape, size) <= Math.Max(first, TrainingMemory.Available / 2 / (3 * size.OutputsPerImage * sizeof(float))));
        Assert.AreEqual(AutomaticBatchSize.Start, TrainingMemory.FirstBatch(new AgdImageShape(3, 224, 224), Size(AgdArchitecture.ResNet18, new AgdImageShape(3, 224, 224), 16)));
    }

    [TestMethod]
    public void DataIsHeldInMemoryOnlyWithinHalfOfWhatTheProcessTheWeightsAndTheFirstBatchLeave()
    {
        var shape = new AgdImageShape(3, 64, 64);
        double room = (TrainingMemory.Available - TrainingMemory.InUse) / 2;
        Assert.IsTrue(TrainingMemory.DataFits(room * 0.9, 0, shape, new NetworkSize(0)));
        Assert.IsFalse(TrainingMemory.DataFits(room * 1.1, 0, shape, new NetworkSize(0)), "What the process holds is not free.");
        // Weights whose 18 copies take half of what is free halve the room; a first batch taking half the rest halves it again.
        var network = new NetworkSize(room / 18 / sizeof(float), OutputsPerImage: 1000);
        Assert.IsTrue(TrainingMemory.DataFits(room * 0.4, 0, shape, network));
        Assert.IsFalse(TrainingMemory.DataFits(room * 0.6, 0, shape, network));
        double perImage = (2.0 * shape.Size + 3 * network.OutputsPerImage) * sizeof(float);
        long batch = (long)(room / 2 / perImage);
        Assert.IsFalse(TrainingMemory.DataFits(room * 0.4, batch, shape, network));
        Assert.IsTrue(TrainingMemory.DataFits(room * 0.1, batch, shape, network));
    }

    [TestMethod]
    [DoNotParallelize] // the variable is the whole process's
    public void RanksThatAnMpiLauncherStartedOnOneMachineShareItsMemory()
    {
        double whole = TrainingMemory.Available, parameters = whole / 2 / 18 / sizeof(float); // 18 copies of them take half of it
        TrainingMemory.CheckParameters(parameters, "A network", "Width");
        Environment.SetEnvironmentVariable("MPI_LOCALNRANKS", "4");
        try
        {
            Assert.AreEqual(whole / 4, TrainingMemory.Available, whole * 1e-6);
            var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => TrainingMemory.CheckParameters(parameters, "A network", "Width"));
            StringAssert.Contains(e.Message, " of memory each of the 4 ranks on this machine may use. Make Width smaller.");
        }
        finally
        {
            Environment.SetEnvironmentVariable("MPI_LOCALNRANKS", null);
        }
    }

    [TestMethod]
    [DoNotParallelize] // the managed heap is the whole process's
    public void TheGarbageThatReadingAViewLeavesIsFreedBeforeTheFirstStep()
    {
        // Rows decoded anew on every read, as an image folder's are: 300 of 3 x 128 x 128 leave 59 MB of large arrays on
        // each pass (a count, then the read), which the collector, blind to the native memory a step takes, would keep.
        const int rows = 300, size = 3 * 128 * 128;
        var ml = new MLContext(seed: 1);
        IEnumerable<SyntheticImages.VectorRow> Decoded()
        {
            for (int i = 0; i < rows; i++)
                yield return new SyntheticImages.VectorRow { Features = Enumerable.Repeat(i % 3 / 2f, size).ToArray(), Label = SyntheticImages.Classes[i % 3] };
        }
        var view = DataViews.LoadLazily(ml, Decoded(), size);
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(view).Transform(view);
        long heldAtFirstStep = -1;
        var model = ml.MulticlassClassification.Trainers.Agd(new AgdImageClassificationTrainer.Options
        {
            NumberOfEpochs = 1, BatchSize = 100, DataLoading = AgdDataLoading.InMemory,
            NetworkFactory = (shape, classes) =>
            {
                heldAtFirstStep = GC.GetTotalMemory(forceFullCollection: false); // built after the rows are read
                return new Fcn(shape.Size, 8, 2, classes);
            },
        }).Fit(data);
        model.Model.Network.Dispose();
        Assert.IsTrue(heldAtFirstStep is >= 0 and < 20_000_000, $"The managed heap held {heldAtFirstStep / 1e6:G3} MB when the network was built.");
    }

    [TestMethod]
    public void EvaluationBatchesAreNoLargerThanTheTrainingBatchTheMemoryCheckSized()
    {
        // Evaluation keeps a batch's activations until the batch ends, as a step does: 30 validation rows go in batches of
        // at most the training batch's 4, not of 32.
        var ml = new MLContext(seed: 1);
        var data = DataViews.Prepare(ml, SyntheticImages.Vectors(10, 8, seed: 2));
        var evaluated = new List<long>();
        var model = ml.MulticlassClassification.Trainers.Agd(new AgdImageClassificationTrainer.Options
        {
            NumberOfEpochs = 2, BatchSize = 4,
            NetworkFactory = (shape, classes) =>
            {
                var fcn = new Fcn(shape.Size, 8, 2, classes);
                fcn.register_forward_pre_hook((module, x) => { if (!module.training) evaluated.Add(x.shape[0]); return x; });
                return fcn;
            },
        }).Fit(data, data);
        model.Model.Network.Dispose();
        Assert.AreEqual(4, evaluated.Max(), $"Evaluation batches: {string.Join(", ", evaluated.Distinct())}.");
    }

    // The size the trainer's check computes for 10 classes (an FCN of depth 3 and width 512 where it is one).
    private static NetworkSize Size(AgdArchitecture architecture, AgdImageShape shape, int baseWidth)
        => AgdNetworks.Size(architecture, shape, 10, 3, 512, baseWidth, AgdNetworks.ParameterCount(architecture, shape, 10, 3, 512, baseWidth));

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

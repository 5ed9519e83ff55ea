using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Tests.Trainer;

[TestClass]
public class StreamingTests
{
    private static readonly InputColumns s_columns = new("Features", "Label");

    // A row whose first pixel is its index, so an order can be read back from batches and every row checked whole.
    private static SyntheticImages.VectorRow NumberedRow(int i, float first)
        => new() { Features = [first, i % 7, 1, 2], Label = SyntheticImages.Classes[i % 3] };

    private static IDataView Keyed(MLContext ml, IDataView data) => ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);

    private static IDataView Numbered(MLContext ml, int rows, int nanAt = -1)
        => Keyed(ml, DataViews.Load(ml, Enumerable.Range(0, rows).Select(i => NumberedRow(i, i == nanAt ? float.NaN : i))));

    // The same rows made by an iterator as the cursor asks: a view that can neither count nor shuffle its rows.
    private static IDataView NumberedLazily(MLContext ml, int rows)
    {
        static IEnumerable<SyntheticImages.VectorRow> Make(int rows)
        {
            for (int i = 0; i < rows; i++)
                yield return NumberedRow(i, i);
        }
        return Keyed(ml, DataViews.LoadLazily(ml, Make(rows), 4));
    }

    // Every row a shuffle buffer gives, checked whole against the row its first value names.
    private static List<int> Drain(IDataView data, int poolRows, int seed)
    {
        using var buffer = new ShuffleBuffer(data, s_columns, "training", 4, new float[poolRows][], seed);
        var order = new List<int>();
        var row = new float[4];
        while (buffer.Next(row, out long label))
        {
            int i = (int)row[0];
            CollectionAssert.AreEqual(new float[] { i, i % 7, 1, 2 }, row, $"row {i} arrives whole");
            Assert.AreEqual((long)(i % 3), label, $"row {i} keeps its label"); // keys in order of first appearance
            order.Add(i);
        }
        return order;
    }

    private static List<long> Order(IImageBatches images, Generator? shuffle)
    {
        var order = new List<long>();
        images.ForEachBatch(32, shuffle, CPU, (batch, _) => order.AddRange(batch[.., 0, 0, 0].to(ScalarType.Int64).data<long>().ToArray()));
        return order;
    }

    [TestMethod]
    public void EachEpochReadsEveryRowOnceInAnOrderOfItsOwn()
    {
        var ml = new MLContext(1);
        using var streamed = StreamedImages.Open(Numbered(ml, 500), s_columns, new AgdImageShape(1, 1, 4), "training", seed: 0);
        using var generator = new Generator(5);
        var first = Order(streamed, generator);
        var second = Order(streamed, generator);
        using var otherSeed = new Generator(6);
        var third = Order(streamed, otherSeed);
        foreach (var epoch in new[] { first, second, third })
            CollectionAssert.AreEqual(Enumerable.Range(0, 500).Select(i => (long)i).ToList(), epoch.Order().ToList(), "every row once");
        CollectionAssert.AreNotEqual(first, second, "a new order each epoch");
        CollectionAssert.AreNotEqual(first, third, "a new order for another seed");
        CollectionAssert.AreEqual(Enumerable.Range(0, 500).Select(i => (long)i).ToList(), Order(streamed, null), "evaluation reads in the data's order");
        CollectionAssert.AreEqual(new long[] { 0, 1, 2 }, streamed.Classes);
    }

    [TestMethod]
    public void AShuffleBufferOverAViewThatCannotShuffleMixesWithinItsPool()
    {
        var ml = new MLContext(6);
        var data = NumberedLazily(ml, 1000);
        Assert.IsFalse(data.CanShuffle);
        var order = Drain(data, poolRows: 64, seed: 1);
        CollectionAssert.AreEqual(Enumerable.Range(0, 1000).ToList(), order.Order().ToList(), "every row once");
        CollectionAssert.AreEqual(order, Drain(data, 64, seed: 1), "the same seed, the same order");
        CollectionAssert.AreNotEqual(order, Drain(data, 64, seed: 2), "another seed, another order");
        // Row k of the order has been read by then, and at most the pool's 64 rows are read ahead of what was given out.
        int ahead = order.Select((row, k) => row - k).Max();
        Assert.IsTrue(ahead <= 64, $"a row came {ahead} places early: more than the pool holds");
        Assert.IsTrue(order.Select((row, k) => Math.Abs(row - k)).Max() > 32, "rows move within the pool");
    }

    [TestMethod]
    public void AShuffleBufferOverACacheMixesTheWholeSet()
    {
        var ml = new MLContext(7);
        var data = ml.Data.Cache(Numbered(ml, 1000)); // as AppendCacheCheckpoint caches it; LoadFromEnumerable's own view cannot shuffle
        Assert.IsTrue(data.CanShuffle);
        var order = Drain(data, poolRows: 64, seed: 1);
        CollectionAssert.AreEqual(Enumerable.Range(0, 1000).ToList(), order.Order().ToList(), "every row once");
        Assert.IsTrue(order.Take(50).Max() > 500, "the view's own shuffling cursor brings rows from far beyond the pool into the first batch");
    }

    [TestMethod]
    public void InMemoryReadingOfAViewThatCannotCountItsRowsHoldsEachRowOnce()
    {
        var ml = new MLContext(8);
        var data = NumberedLazily(ml, 1000);
        Assert.IsNull(data.GetRowCount());
        using var images = LabelledImages.Read(data, s_columns, new AgdImageShape(1, 1, 4), "training");
        Assert.AreEqual(1000, images.Count);
        var expected = Enumerable.Range(0, 1000).SelectMany(i => new float[] { i, i % 7, 1, 2 }).ToArray();
        CollectionAssert.AreEqual(expected, images.Images.data<float>().ToArray(), "every row, whole, in the data's order");
        CollectionAssert.AreEqual(Enumerable.Range(0, 1000).Select(i => (long)(i % 3)).ToArray(), images.Labels.data<long>().ToArray());
    }

    [TestMethod]
    public void AViewThatGivesMoreRowsThanItCountedIsNamedNotCut()
    {
        var ml = new MLContext(9);
        var keyed = Keyed(ml, DataViews.LoadLazily(ml, new GrowingRows(), 4)); // fitting the keys is its first read: 10 rows
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => LabelledImages.Read(keyed, s_columns, new AgdImageShape(1, 1, 4), "training"));
        StringAssert.Contains(error.Message, "The training data gave more rows than the 11 it counted");
    }

    // Rows that grow by one on every read, as a folder being written to would.
    private sealed class GrowingRows : IEnumerable<SyntheticImages.VectorRow>
    {
        private int _reads;

        public IEnumerator<SyntheticImages.VectorRow> GetEnumerator()
        {
            int rows = 10 + _reads++;
            for (int i = 0; i < rows; i++)
                yield return NumberedRow(i, i);
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    [TestMethod]
    public void StreamedStatisticsComeFromTheData()
    {
        var ml = new MLContext(2);
        var view = Numbered(ml, 300);
        using var streamed = StreamedImages.Open(view, s_columns, new AgdImageShape(4, 1, 1), "training", seed: 0);
        using var inMemory = LabelledImages.Read(view, s_columns, new AgdImageShape(4, 1, 1), "training");
        for (int c = 0; c < 4; c++)
        {
            Assert.AreEqual(inMemory.Mean[c], streamed.Mean[c], 1e-9 * (1 + Math.Abs(inMemory.Mean[c])), "fewer rows than the statistics sample: the same rows");
            Assert.AreEqual(inMemory.StandardDeviation[c], streamed.StandardDeviation[c], 1e-9 * inMemory.StandardDeviation[c]);
        }
    }

    [TestMethod]
    public void ABadRowInTheMiddleOfAStreamGivesTheErrorThatNamesIt()
    {
        var ml = new MLContext(3);
        string Error(AgdDataLoading loading) => Assert.ThrowsExactly<InvalidOperationException>(() => ml.MulticlassClassification.Trainers.Agd(
            new AgdImageClassificationTrainer.Options { DataLoading = loading, NumberOfEpochs = 1, Width = 8, BatchSize = 16 }).Fit(Numbered(ml, 400, nanAt: 250))).Message;
        string inMemory = Error(AgdDataLoading.InMemory);
        StringAssert.Contains(inMemory, "holds NaN in row 250");
        Assert.AreEqual(inMemory, Error(AgdDataLoading.Streaming));
    }

    // Threads of this process whose name (as the OS keeps it: the first 15 bytes) starts with a prefix; Linux only.
    private static int ThreadsNamed(string prefix)
    {
        if (!Directory.Exists("/proc/self/task"))
            Assert.Inconclusive("This system does not list a process's threads in /proc, so the reader thread's end is not checked.");
        return Directory.GetDirectories("/proc/self/task").Count(task =>
        {
            try
            {
                return File.ReadAllText(Path.Combine(task, "comm")).StartsWith(prefix, StringComparison.Ordinal);
            }
            catch (IOException)
            {
                return false; // the thread ended while we looked
            }
        });
    }

    [TestMethod]
    [DoNotParallelize] // it counts the process's reading threads: no other test may stream meanwhile
    public void CancellingMidEpochWithAPrefetchInFlightLeavesNoThreadOrTensorBehind()
    {
        var ml = new MLContext(4);
        using var streamed = StreamedImages.Open(Numbered(ml, 2000), s_columns, new AgdImageShape(1, 1, 4), "training", seed: 0);
        using var stop = new CancellationTokenSource();
        using var generator = new Generator(7);
        long tensorsBefore = TensorAssert.LiveTensors;
        int batches = 0, readersDuring = 0;
        streamed.ForEachBatch(16, generator, CPU, (_, _) =>
        {
            readersDuring = Math.Max(readersDuring, ThreadsNamed("AGD training"));
            if (++batches == 3)
                stop.Cancel(); // the reader is a few batches ahead by now
            Thread.Sleep(20);
        }, stop.Token);
        Assert.AreEqual(3, batches, "No batch runs after the cancellation.");
        Assert.AreEqual(1, readersDuring, "One thread read ahead while batches trained.");
        Assert.AreEqual(0, ThreadsNamed("AGD training"), "The reading thread has ended.");
        Assert.AreEqual(tensorsBefore, TensorAssert.LiveTensors, "No tensor outlives its batch.");
    }

    [TestMethod]
    public void AViewThatNeverExistsAsAWholeTrainsStreamed()
    {
        // ML.NET's LoadFromEnumerable over an iterator: rows are made as the cursor asks, and the row count is unknown.
        var ml = new MLContext(5);
        static IEnumerable<SyntheticImages.VectorRow> Lazily()
        {
            foreach (var row in SyntheticImages.Vectors(40, 8, seed: 6))
                yield return row;
        }
        var view = DataViews.LoadLazily(ml, Lazily(), 64);
        Assert.IsNull(view.GetRowCount(), "Auto cannot size it, so it streams.");
        var data = Keyed(ml, view);
        var model = ml.MulticlassClassification.Trainers.Agd(new AgdImageClassificationTrainer.Options { NumberOfEpochs = 4, BatchSize = 10, Width = 32 }).Fit(data);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(data));
        Assert.IsTrue(metrics.MicroAccuracy > 0.8, $"accuracy {metrics.MicroAccuracy}");
        Assert.AreEqual(4, model.Model.History.Count);
    }
}

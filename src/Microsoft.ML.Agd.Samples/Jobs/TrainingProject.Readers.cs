using Microsoft.ML.Agd.Samples.Data;
using System.Globalization;

namespace Microsoft.ML.Agd.Samples.Jobs;

// The training project's data readers, one per kind of data folder agd reads, as generated code.
internal static partial class TrainingProject
{
    private static bool IsIdx(RunConfiguration run) => DataSets.IsIdxFolder(run.Data);

    private static bool IsCifar(RunConfiguration run) => CifarReader.IsCifarFolder(run.Data);

    // The reader of the run's kind of data, as generated code, and what the data folder must hold.
    private static (string Code, string Holds) Reader(RunConfiguration run)
        => IsIdx(run) ? (IdxReader, "train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (each may be .gz)")
         : IsCifar(run) ? (CifarBinaryReader, "CIFAR-10's data_batch_1.bin to data_batch_5.bin and test_batch.bin, or CIFAR-100's train.bin and test.bin")
         : (ImageFolderReader(run), "one sub-folder of images per class (or train/ and val/ folders of them)");

    // The IDX reader: the run's files, as agd reads them.
    private const string IdxReader = """
        /// <summary>Reads IDX images and labels (MNIST's format, gzip-compressed or not): train-* trains, t10k-* tests.</summary>
        public static class Data
        {
            public static (IDataView Train, IDataView Test) Load(MLContext ml, string folder, string[] classes) => (Read(ml, folder, "train", classes), Read(ml, folder, "t10k", classes));

            public static IDataView Read(MLContext ml, string folder, string prefix, string[] classes)
            {
                var images = Bytes(folder, $"{prefix}-images-idx3-ubyte", 0x803);
                var labels = Bytes(folder, $"{prefix}-labels-idx1-ubyte", 0x801);
                int count = Int(images, 4), height = Int(images, 8), width = Int(images, 12);
                if (Int(labels, 4) != count || images.Length < 16L + (long)count * height * width || labels.Length < 8L + count)
                    throw new InvalidDataException($"The {prefix} IDX files in '{folder}' are truncated or do not agree on the number of images.");
                var rows = new List<Image>(count);
                for (int i = 0; i < count; i++)
                {
                    int label = labels[8 + i];
                    if (label >= classes.Length)
                        throw new InvalidDataException($"The {prefix} labels in '{folder}' have label {label} at index {i}; the model has {classes.Length} classes.");
                    rows.Add(new Image { Features = Array.ConvertAll(images.AsSpan(16 + i * height * width, height * width).ToArray(), p => p / 255f), Label = classes[label] });
                }
                var schema = SchemaDefinition.Create(typeof(Image));
                schema[nameof(Image.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 1, height, width);
                return ml.Data.LoadFromEnumerable(rows, schema);
            }

            private static byte[] Bytes(string folder, string name, int magic)
            {
                string path = File.Exists(Path.Combine(folder, name)) ? Path.Combine(folder, name) : Path.Combine(folder, name + ".gz");
                if (!File.Exists(path))
                    throw new FileNotFoundException($"'{folder}' has no {name} (or {name}.gz) file.");
                using var file = File.OpenRead(path);
                using Stream stream = path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : file;
                using var memory = new MemoryStream();
                stream.CopyTo(memory);
                var bytes = memory.ToArray();
                if (bytes.Length < (magic == 0x803 ? 16 : 8) || Int(bytes, 0) != magic)
                    throw new InvalidDataException($"'{path}' is not an IDX file of {(magic == 0x803 ? "images" : "labels")}.");
                return bytes;
            }

            private static int Int(byte[] bytes, int offset) => BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(offset, 4));
        }
        """;

    // The CIFAR reader: the binary batches as their archives unpack, read as agd reads them (the class names from the
    // run, the label the last label byte: CIFAR-100's fine label).
    private const string CifarBinaryReader = """
        /// <summary>Reads CIFAR-10's or CIFAR-100's binary batches: records of label bytes, then 32x32 red, green and blue planes.</summary>
        public static class Data
        {
            public static (IDataView Train, IDataView Test) Load(MLContext ml, string folder, string[] classes)
            {
                var batches = Enumerable.Range(1, 5).Select(i => $"data_batch_{i}.bin").ToArray();
                bool ten = batches.Any(f => File.Exists(Path.Combine(folder, f)));
                return ten ? (Read(ml, folder, batches, 1, classes), Read(ml, folder, ["test_batch.bin"], 1, classes))
                           : (Read(ml, folder, ["train.bin"], 2, classes), Read(ml, folder, ["test.bin"], 2, classes));
            }

            private static IDataView Read(MLContext ml, string folder, string[] files, int labelBytes, string[] classes)
            {
                int recordLength = labelBytes + 3 * 32 * 32;
                var rows = new List<Image>();
                foreach (string name in files)
                {
                    string file = Path.Combine(folder, name);
                    if (!File.Exists(file))
                        throw new FileNotFoundException($"'{folder}' has no {name}: unpack the whole CIFAR binary archive into it.");
                    byte[] bytes = File.ReadAllBytes(file);
                    if (bytes.Length % recordLength != 0)
                        throw new InvalidDataException($"'{file}' is truncated: it is not whole records of {recordLength} bytes.");
                    for (int start = 0; start < bytes.Length; start += recordLength)
                    {
                        int label = bytes[start + labelBytes - 1];
                        if (label >= classes.Length)
                            throw new InvalidDataException($"'{file}' has label {label}; the model has {classes.Length} classes.");
                        rows.Add(new Image { Features = Array.ConvertAll(bytes[(start + labelBytes)..(start + recordLength)], b => b / 255f), Label = classes[label] });
                    }
                }
                var schema = SchemaDefinition.Create(typeof(Image));
                schema[nameof(Image.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 3, 32, 32);
                return ml.Data.LoadFromEnumerable(rows, schema);
            }
        }
        """;

    // The image-folder reader: the run's files, listed, split and decoded as agd does it.
    private static string ImageFolderReader(RunConfiguration run) => $$"""
        /// <summary>Reads an image folder as agd train does: class folders in name order; train/ and val/ where the folder has them, else a seeded split of every class.</summary>
        public static class Data
        {
            private static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"];

            public static (IDataView Train, IDataView Test) Load(MLContext ml, string folder, string[] classes)
            {
                if (Directory.Exists(Path.Combine(folder, "train")) && Directory.Exists(Path.Combine(folder, "val")))
                    return (View(ml, Read(Path.Combine(folder, "train"), classes)), View(ml, Read(Path.Combine(folder, "val"), classes)));
                var random = new Random({{run.Seed}});
                var (train, test) = (new List<Image>(), new List<Image>());
                foreach (var group in Read(folder, classes).GroupBy(r => r.Label))
                {
                    var shuffled = group.OrderBy(_ => random.Next()).ToList();
                    int held = shuffled.Count < 2 ? 0 : Math.Max(1, (int)Math.Round(shuffled.Count * {{run.TestFraction.ToString("R", CultureInfo.InvariantCulture)}}));
                    test.AddRange(shuffled.Take(held));
                    train.AddRange(shuffled.Skip(held));
                }
                return (View(ml, train.OrderBy(_ => random.Next()).ToList()), View(ml, test));
            }

            private static List<Image> Read(string folder, string[] classes)
            {
                if (!Directory.Exists(folder))
                    throw new DirectoryNotFoundException($"Data folder '{folder}' does not exist.");
                var rows = new List<Image>();
                foreach (string classFolder in Entries(Directory.GetDirectories(folder)))
                {
                    string label = Path.GetFileName(classFolder);
                    if (!classes.Contains(label))
                        throw new InvalidDataException($"'{classFolder}' is a class the model does not have; it has {string.Join(", ", classes)}.");
                    foreach (string file in Entries(Directory.GetFiles(classFolder)).Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant())))
                        rows.Add(new Image { Features = Pixels(file) ?? throw new InvalidDataException($"Image '{file}' could not be decoded whole."), Label = label });
                }
                return rows;
            }

            // Name order, without what tools leave (hidden entries, macOS's __MACOSX).
            private static IEnumerable<string> Entries(IEnumerable<string> paths)
                => paths.Order(StringComparer.Ordinal).Where(p => !Path.GetFileName(p).StartsWith('.') && Path.GetFileName(p) != "__MACOSX");

            private static IDataView View(MLContext ml, List<Image> rows)
            {
                var schema = SchemaDefinition.Create(typeof(Image));
                schema[nameof(Image.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, {{run.ImageShape.Channels}}, {{run.ImageShape.Height}}, {{run.ImageShape.Width}});
                return ml.Data.LoadFromEnumerable(rows, schema);
            }

            {{ConsumptionProject.PixelsFunction(run.ImageShape)}}
        }
        """;
}

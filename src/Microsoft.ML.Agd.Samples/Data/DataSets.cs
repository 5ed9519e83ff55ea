namespace Microsoft.ML.Agd.Samples.Data;

/// <summary>
/// Finds and loads the data a verb works on: an IDX folder, a CIFAR-10 or CIFAR-100 binary folder, an image folder split
/// into train/ and val/ (as ImageNet's), an image folder with one sub-folder per class, or the default.
/// </summary>
internal static class DataSets
{
    /// <summary>Where Debian's dataset-fashion-mnist package puts the full set.</summary>
    /// <summary>The share of an image folder held out for validation and testing, unless told otherwise.</summary>
    public const double DefaultTestFraction = 0.2;

    /// <summary>The shape images of an image folder are resized to, unless told otherwise: RGB, 32x32.</summary>
    public static readonly AgdImageShape DefaultImageShape = new(3, 32, 32);

    public const string DebianFashionMnist = "/usr/share/datasets/fashion-mnist";

    /// <summary>The Fashion-MNIST class names, in label order.</summary>
    public static readonly string[] FashionMnistClasses =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>The shipped subset: 300 training and 100 test images per class.</summary>
    public static string EmbeddedSubset => Path.Combine(AppContext.BaseDirectory, "data", "fashion-mnist-subset");

    /// <summary>The full Fashion-MNIST set when Debian's package is installed, else the shipped subset.</summary>
    public static string DefaultFolder => IsIdxFolder(DebianFashionMnist) ? DebianFashionMnist : EmbeddedSubset;

    /// <summary>Loads a training and a test set from a folder (the default when null).</summary>
    /// <param name="folder">An IDX folder (train-* and t10k-* files), a CIFAR binary folder, a train/val folder or an image folder (one sub-folder per class).</param>
    /// <param name="imageShape">Shape images of an image folder are resized to; IDX and CIFAR images keep theirs.</param>
    /// <param name="testFraction">Share of an image folder held out for testing (a train/val folder's split is its own).</param>
    /// <param name="seed">Seed of that split.</param>
    public static (LabelledImageSet Train, LabelledImageSet Test) Load(string? folder, AgdImageShape imageShape, double testFraction, int seed)
    {
        folder = Existing(folder);
        if (IsIdxFolder(folder))
        {
            var train = ReadIdx(folder, "train");
            var test = ReadIdx(folder, "t10k");
            if ((test.Height, test.Width) != (train.Height, train.Width))
                throw new InvalidDataException($"'{test.Images}' holds {test.Height}x{test.Width} images, but '{train.Images}' holds {train.Height}x{train.Width}: " +
                    "a model is tested on images of the shape it was trained on. Give test images of the training images' shape.");
            if (train.Classes.Length > 0 && train.Classes.Distinct().Take(2).Count() < 2)
                throw new InvalidDataException($"'{train.Labels}' gives every image the label {train.Classes.FirstOrDefault()}: classification needs at least two classes. " +
                    "Give labels of two classes or more.");
            var names = ClassNames(folder, train.Labels, train.Classes);
            return (ToSet(folder, "train", train, names), ToSet(folder, "t10k", test, names));
        }
        if (CifarReader.IsCifarFolder(folder))
            return CifarReader.Load(folder);
        ImageFolder.CheckTrainVal(folder);
        if (ImageFolder.IsTrainValFolder(folder))
            return ImageFolder.LoadTrainVal(folder, imageShape);
        var all = ImageFolder.Load(folder, imageShape);
        return ImageFolder.Split(all, testFraction, seed);
    }

    /// <summary>The set to evaluate on: an IDX folder's or a CIFAR folder's test files, a train/val folder's val/, or every image of an image folder (the default when null).</summary>
    public static LabelledImageSet LoadForEvaluation(string? folder, AgdImageShape imageShape)
    {
        folder = Existing(folder);
        if (CifarReader.IsCifarFolder(folder))
            return CifarReader.LoadTest(folder);
        ImageFolder.CheckTrainVal(folder);
        if (ImageFolder.IsTrainValFolder(folder))
            return ImageFolder.LoadTrainVal(folder, imageShape).Test;
        if (!IsIdxFolder(folder))
            return ImageFolder.Load(folder, imageShape);
        // The classes are the training labels': a test file need not use them all.
        string trainLabels = IdxFile(folder, "train-labels-idx1-ubyte") ?? throw new FileNotFoundException($"'{folder}' has no train-labels-idx1-ubyte(.gz) file.");
        return ToSet(folder, "t10k", ReadIdx(folder, "t10k"), ClassNames(folder, trainLabels, IdxReader.ReadLabels(trainLabels)));
    }

    /// <summary>Whether the folder holds IDX training files.</summary>
    public static bool IsIdxFolder(string folder) => IdxFile(folder, "train-images-idx3-ubyte") is not null;

    private static string Existing(string? folder)
    {
        folder ??= DefaultFolder;
        if (folder.Length == 0)
            throw new DirectoryNotFoundException("--data is empty: give a data folder (an IDX folder, a CIFAR-10 or CIFAR-100 folder, or an image folder with one sub-folder of images per class).");
        if (InputFile.IsLinkLoop(folder))
            throw new DirectoryNotFoundException($"--data '{folder}' is a symbolic link that leads round to itself (too many levels of symbolic links); point it at the data folder, or give that folder.");
        if (File.Exists(folder))
            throw new DirectoryNotFoundException($"--data '{folder}' is a file; give a folder: an IDX folder (train-images-idx3-ubyte and the like) or an image folder with one sub-folder of images per class.");
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"Data folder '{folder}' does not exist.");
        return folder;
    }

    private sealed record IdxFiles(string Images, string Labels, byte[][] Pixels, byte[] Classes, int Height, int Width);

    private static IdxFiles ReadIdx(string folder, string prefix)
    {
        string images = IdxFile(folder, $"{prefix}-images-idx3-ubyte") ?? throw new FileNotFoundException($"'{folder}' has no {prefix}-images-idx3-ubyte(.gz) file.");
        string labels = IdxFile(folder, $"{prefix}-labels-idx1-ubyte") ?? throw new FileNotFoundException($"'{folder}' has no {prefix}-labels-idx1-ubyte(.gz) file.");
        var (pixels, height, width) = IdxReader.ReadImages(images);
        var classes = IdxReader.ReadLabels(labels);
        if (pixels.Length == 0)
            throw new InvalidDataException($"'{images}' holds no images: its header counts 0.");
        if (classes.Length != pixels.Length)
            throw new InvalidDataException($"'{labels}' has {classes.Length} labels but '{images}' has {pixels.Length} images.");
        return new IdxFiles(images, labels, pixels, classes, height, width);
    }

    // One byte a pixel in memory; floats only for the rows a cursor is reading. Every label must name a class.
    private static LabelledImageSet ToSet(string folder, string prefix, IdxFiles files, IReadOnlyList<string> names)
    {
        int bad = Array.FindIndex(files.Classes, c => c >= names.Count);
        if (bad >= 0)
            throw new InvalidDataException($"'{files.Labels}' has label {files.Classes[bad]} at index {bad}, but the data has {names.Count} classes (labels 0 to {names.Count - 1}" +
                $"{(File.Exists(Path.Combine(folder, "classes.txt")) ? ", named in classes.txt" : ", those the training labels use")}). Correct the label, or name every class in classes.txt beside the files.");
        var rows = files.Pixels.Select((p, i) => ImageRow.Lazy(() => Array.ConvertAll(p, b => b / 255f), names[files.Classes[i]])).ToList();
        return new LabelledImageSet(rows, new AgdImageShape(1, files.Height, files.Width), names, $"{prefix} of {folder}");
    }

    // classes.txt beside the files names the classes; a Fashion-MNIST folder whose labels run 0 to 9 has its ten; else 0 to the
    // largest label, each of which the labels must use: a gap means a label that is wrong, not a class without images.
    private static IReadOnlyList<string> ClassNames(string folder, string labelsFile, byte[] labels)
    {
        string file = Path.Combine(folder, "classes.txt");
        if (File.Exists(file))
            return ClassNamesFile.Read(file) is { Count: > 0 } names ? names
                : throw new InvalidDataException($"'{file}' names no class; give one class name a line (label 0 first), or remove it.");
        var used = labels.Distinct().Order().ToList();
        if (used.Count == 0)
            throw new InvalidDataException($"'{labelsFile}' holds no labels.");
        if (folder.Contains("fashion", StringComparison.OrdinalIgnoreCase) && used[^1] + 1 == FashionMnistClasses.Length)
            return FashionMnistClasses;
        if (used[^1] + 1 != used.Count)
        {
            int last = Array.LastIndexOf(labels, used[^1]);
            var missing = Enumerable.Range(0, used[^1]).Where(c => !used.Contains((byte)c)).ToList();
            throw new InvalidDataException($"'{labelsFile}' has label {used[^1]} at index {last}, but no image has label{(missing.Count > 1 ? "s" : "")} " +
                $"{Ranges(missing)}: a label is wrong, or classes have no images. Correct the label, or name every class in classes.txt beside the files.");
        }
        return used.Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }

    // 3, 5 to 9, 12
    private static string Ranges(IReadOnlyList<int> values)
    {
        var parts = new List<string>();
        for (int i = 0; i < values.Count;)
        {
            int j = i;
            while (j + 1 < values.Count && values[j + 1] == values[j] + 1)
                j++;
            parts.Add(i == j ? $"{values[i]}" : $"{values[i]} to {values[j]}");
            i = j + 1;
        }
        return string.Join(", ", parts);
    }

    private static string? IdxFile(string folder, string name)
        => new[] { name, name + ".gz" }.Select(n => Path.Combine(folder, n)).FirstOrDefault(File.Exists);
}

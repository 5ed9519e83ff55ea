namespace Microsoft.ML.Agd.Samples.Data;

/// <summary>Finds and loads the data a verb works on: an IDX folder, an image folder with one sub-folder per class, or the default.</summary>
public static class DataSets
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
    /// <param name="folder">An IDX folder (train-* and t10k-* files) or an image folder (one sub-folder per class).</param>
    /// <param name="imageShape">Shape images of an image folder are resized to; IDX images keep theirs.</param>
    /// <param name="testFraction">Share of an image folder held out for testing.</param>
    /// <param name="seed">Seed of that split.</param>
    public static (LabelledImageSet Train, LabelledImageSet Test) Load(string? folder, AgdImageShape imageShape, double testFraction, int seed)
    {
        folder ??= DefaultFolder;
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"Data folder '{folder}' does not exist.");
        if (IsIdxFolder(folder))
            return (LoadIdx(folder, "train"), LoadIdx(folder, "t10k"));
        var all = ImageFolder.Load(folder, imageShape);
        return ImageFolder.Split(all, testFraction, seed);
    }

    /// <summary>The set to evaluate on: an IDX folder's test files, or every image of an image folder (the default when null).</summary>
    public static LabelledImageSet LoadForEvaluation(string? folder, AgdImageShape imageShape)
    {
        folder ??= DefaultFolder;
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"Data folder '{folder}' does not exist.");
        return IsIdxFolder(folder) ? LoadIdx(folder, "t10k") : ImageFolder.Load(folder, imageShape);
    }

    /// <summary>Whether the folder holds IDX training files.</summary>
    public static bool IsIdxFolder(string folder) => IdxFile(folder, "train-images-idx3-ubyte") is not null;

    private static LabelledImageSet LoadIdx(string folder, string prefix)
    {
        string images = IdxFile(folder, $"{prefix}-images-idx3-ubyte") ?? throw new FileNotFoundException($"'{folder}' has no {prefix}-images-idx3-ubyte(.gz) file.");
        string labels = IdxFile(folder, $"{prefix}-labels-idx1-ubyte") ?? throw new FileNotFoundException($"'{folder}' has no {prefix}-labels-idx1-ubyte(.gz) file.");
        var (pixels, height, width) = IdxReader.ReadImages(images);
        var classes = IdxReader.ReadLabels(labels);
        if (classes.Length != pixels.Length)
            throw new InvalidDataException($"'{labels}' has {classes.Length} labels but '{images}' has {pixels.Length} images.");
        var names = ClassNames(folder, classes.Max() + 1);
        // One byte a pixel in memory; floats only for the rows a cursor is reading.
        var rows = pixels.Select((p, i) => ImageRow.Lazy(() => Array.ConvertAll(p, b => b / 255f), names[classes[i]])).ToList();
        return new LabelledImageSet(rows, new AgdImageShape(1, height, width), names, $"{prefix} of {folder}");
    }

    // classes.txt beside the files names the classes; Fashion-MNIST's folders are known; else the label numbers.
    private static string[] ClassNames(string folder, int count)
    {
        string file = Path.Combine(folder, "classes.txt");
        if (File.Exists(file))
            return File.ReadAllLines(file).Where(l => l.Length > 0).ToArray() is { } names && names.Length >= count
                ? names
                : throw new InvalidDataException($"'{file}' names fewer classes than the labels use ({count}).");
        bool fashion = folder.Contains("fashion", StringComparison.OrdinalIgnoreCase) && count == FashionMnistClasses.Length;
        return fashion ? FashionMnistClasses : Enumerable.Range(0, count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }

    private static string? IdxFile(string folder, string name)
        => new[] { name, name + ".gz" }.Select(n => Path.Combine(folder, n)).FirstOrDefault(File.Exists);
}

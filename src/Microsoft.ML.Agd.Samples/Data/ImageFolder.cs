namespace Microsoft.ML.Agd.Samples.Data;

/// <summary>An image folder with one sub-folder per class, as ML.NET Model Builder reads it.</summary>
internal static class ImageFolder
{
    /// <summary>Lists every image of every class folder; each is decoded when a cursor reads it.</summary>
    /// <exception cref="InvalidDataException">A class folder has no images, there are fewer than two classes, or an image is corrupt.</exception>
    public static LabelledImageSet Load(string folder, AgdImageShape shape) => LoadClasses(folder, shape, minimum: 2);

    private static LabelledImageSet LoadClasses(string folder, AgdImageShape shape, int minimum)
    {
        var classFolders = Entries(Directory.GetDirectories(folder)).ToList();
        if (classFolders.Count < minimum)
            throw new InvalidDataException($"'{folder}' has {classFolders.Count} class sub-folder(s); an image folder needs one sub-folder per class, at least {minimum}.");
        var rows = new List<ImageRow>();
        foreach (string classFolder in classFolders)
        {
            string name = Path.GetFileName(classFolder);
            var files = Files(classFolder);
            if (files.Count == 0)
                throw new InvalidDataException($"Class folder '{classFolder}' has no images ({string.Join(", ", ImageDecoder.Extensions)}).");
            // Decoded when a cursor reads the row: the set holds file names, not pixels.
            foreach (string file in files)
                ImageDecoder.Check(file); // an undecodable file is named now, not in the middle of training
            rows.AddRange(files.Select(f => ImageRow.Lazy(() => ImageDecoder.Decode(f, shape), name)));
        }
        return new LabelledImageSet(rows, shape, classFolders.Select(Path.GetFileName).ToList()!, folder);
    }

    /// <summary>Whether the folder is split as ImageNet's is: train/ and val/ sub-folders, each with one sub-folder per class.</summary>
    public static bool IsTrainValFolder(string folder) => Directory.Exists(Path.Combine(folder, "train")) && Directory.Exists(Path.Combine(folder, "val"));

    /// <summary>Refuses a train/val folder of which one part is a file, which would otherwise be read as an image folder of one class.</summary>
    /// <exception cref="InvalidDataException">train or val is a file; the message names it.</exception>
    public static void CheckTrainVal(string folder)
    {
        var (train, val) = (Path.Combine(folder, "train"), Path.Combine(folder, "val"));
        foreach (var (part, other) in new[] { (train, val), (val, train) })
            if (File.Exists(part) && (Directory.Exists(other) || File.Exists(other)))
                throw new InvalidDataException($"'{part}' is a file; a train/val folder's {Path.GetFileName(part)} is a folder with one sub-folder per class.");
    }

    /// <summary>The split a train/val folder gives: train/ trains, val/ tests; val/'s classes must be train/'s.</summary>
    /// <exception cref="InvalidDataException">val/ has a class train/ lacks, or either is not an image folder; the message names it.</exception>
    public static (LabelledImageSet Train, LabelledImageSet Test) LoadTrainVal(string folder, AgdImageShape shape)
    {
        var train = Load(Path.Combine(folder, "train"), shape);
        var val = LoadClasses(Path.Combine(folder, "val"), shape, minimum: 1);
        var unknown = val.ClassNames.Except(train.ClassNames).ToList();
        if (unknown.Count > 0)
            throw new InvalidDataException($"'{Path.Combine(folder, "val")}' has class folder{(unknown.Count > 1 ? "s" : "")} {string.Join(", ", unknown.Take(5).Select(u => $"'{u}'"))} " +
                $"that '{Path.Combine(folder, "train")}' lacks: a model cannot be tested on a class it never saw. Give every val/ class a train/ folder, or remove it.");
        return (train, val with { ClassNames = train.ClassNames });
    }

    /// <summary>A seeded, stratified split: the same share of every class goes to the test set (at least one image when it has two).</summary>
    /// <exception cref="ArgumentException">The fraction holds out every image of a class; the message names it.</exception>
    public static (LabelledImageSet Train, LabelledImageSet Test) Split(LabelledImageSet all, double testFraction, int seed)
    {
        if (testFraction is <= 0 or >= 1)
            throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, "The test fraction must be between 0 and 1.");
        var random = new Random(seed);
        var train = new List<ImageRow>();
        var test = new List<ImageRow>();
        foreach (var group in all.Rows.GroupBy(r => r.Label))
        {
            var shuffled = group.OrderBy(_ => random.Next()).ToList();
            int held = group.Count() < 2 ? 0 : Math.Max(1, (int)Math.Round(shuffled.Count * testFraction));
            if (held == shuffled.Count)
                throw new ArgumentException($"--test-fraction {testFraction} holds out all {held} images of class '{group.Key}' in {all.Description}, leaving none to train on. " +
                    "Give a smaller --test-fraction, or more images.", "--test-fraction");
            test.AddRange(shuffled.Take(held));
            train.AddRange(shuffled.Skip(held));
        }
        if (test.Count == 0) // a class of one image keeps it for training
            throw new ArgumentException($"Every class of {all.Description} has one image, so --test-fraction {testFraction} holds none out for validation and testing. " +
                "Give each class 2 images or more.", "--test-fraction");
        return (all with { Rows = train.OrderBy(_ => random.Next()).ToList(), Description = $"training split of {all.Description}" },
                all with { Rows = test, Description = $"test split of {all.Description}" });
    }

    /// <summary>The image files of a folder, in name order.</summary>
    public static List<string> Files(string folder)
        => Entries(Directory.GetFiles(folder)).Where(f => ImageDecoder.Extensions.Contains(Path.GetExtension(f).ToLowerInvariant())).ToList();

    // A folder's entries in name order, without those that tools leave (hidden ones, such as .ipynb_checkpoints, .git or
    // macOS's ._ files, and macOS's __MACOSX in a zip), and with a name that is not UTF-8 named: .NET cannot open it.
    private static IEnumerable<string> Entries(IEnumerable<string> paths)
    {
        foreach (string path in paths.Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(path);
            if (name.StartsWith('.') || name == "__MACOSX")
                continue;
            if (name.Contains('\uFFFD') && !Path.Exists(path))
                throw new InvalidDataException($"'{Path.GetDirectoryName(path)}' holds an entry whose name is not UTF-8 (read as '{name}'), which cannot be opened by that name; " +
                    "rename it (for example with convmv -f latin1 -t utf-8).");
            yield return path;
        }
    }
}

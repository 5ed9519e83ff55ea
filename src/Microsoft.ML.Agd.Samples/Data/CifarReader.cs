namespace Microsoft.ML.Agd.Samples.Data;

/// <summary>
/// The CIFAR-10 and CIFAR-100 binary distributions as their tarballs unpack (cifar-10-batches-bin, cifar-100-binary):
/// records of label bytes then 3,072 pixel bytes, a 32x32 red plane, then green, then blue, row by row. CIFAR-10 has one
/// label byte and its class names in batches.meta.txt; CIFAR-100 has two (coarse, then fine: the fine label is the class)
/// and its names in fine_label_names.txt.
/// </summary>
internal static class CifarReader
{
    private const int Pixels = 3 * 32 * 32;
    private static readonly AgdImageShape s_shape = new(3, 32, 32);

    private sealed record Layout(string Name, string[] Train, string Test, string NamesFile, int LabelBytes);

    /// <summary>Whether the folder holds a CIFAR binary distribution.</summary>
    public static bool IsCifarFolder(string folder) => Find(folder) is not null;

    /// <summary>The training and test sets of a CIFAR folder.</summary>
    /// <exception cref="InvalidDataException">A names file is missing, a file is not whole records, or a label names no class; the message names the file, the record and the fix.</exception>
    public static (LabelledImageSet Train, LabelledImageSet Test) Load(string folder)
    {
        var layout = Find(folder)!;
        var names = ClassNames(folder, layout);
        return (Read(folder, layout, layout.Train, names, "training batches"), Read(folder, layout, [layout.Test], names, "test batch"));
    }

    /// <summary>The test set of a CIFAR folder.</summary>
    public static LabelledImageSet LoadTest(string folder)
    {
        var layout = Find(folder)!;
        return Read(folder, layout, [layout.Test], ClassNames(folder, layout), "test batch");
    }

    // CIFAR-10 when any of its five training batches is there (Read names those missing), CIFAR-100 when its train.bin is.
    private static Layout? Find(string folder)
    {
        var batches = Enumerable.Range(1, 5).Select(i => $"data_batch_{i}.bin").ToArray();
        if (batches.Any(f => File.Exists(Path.Combine(folder, f))))
            return new("CIFAR-10", batches, "test_batch.bin", "batches.meta.txt", 1);
        return File.Exists(Path.Combine(folder, "train.bin")) ? new("CIFAR-100", ["train.bin"], "test.bin", "fine_label_names.txt", 2) : null;
    }

    private static IReadOnlyList<string> ClassNames(string folder, Layout layout)
    {
        string file = Path.Combine(folder, layout.NamesFile);
        if (!File.Exists(file))
            throw new InvalidDataException($"'{folder}' holds {layout.Name} batches but no {layout.NamesFile}, which names the classes; " +
                $"it comes in the same archive: unpack the whole {layout.Name} binary archive into the folder.");
        var names = ClassNamesFile.Read(file);
        return names.Count >= 2 ? names : throw new InvalidDataException($"'{file}' names {names.Count} class(es); {layout.Name} needs one name a line, at least two.");
    }

    // One byte a pixel in memory, as the file has them; floats only for the rows a cursor is reading.
    private static LabelledImageSet Read(string folder, Layout layout, string[] files, IReadOnlyList<string> names, string part)
    {
        int recordLength = layout.LabelBytes + Pixels;
        var rows = new List<ImageRow>();
        foreach (string name in files)
        {
            string file = Path.Combine(folder, name);
            if (!File.Exists(file))
                throw new InvalidDataException($"'{folder}' holds {layout.Name} training batches but no {name}; unpack the whole {layout.Name} binary archive into the folder.");
            byte[] bytes = InputFile.ReadAllBytes(file);
            if (bytes.Length == 0)
                throw new InvalidDataException($"'{file}' is empty; download and unpack the {layout.Name} binary archive again.");
            if (bytes.Length % recordLength != 0)
                throw new InvalidDataException($"'{file}' is truncated: its {bytes.Length} bytes end {bytes.Length % recordLength} bytes into record {bytes.Length / recordLength} " +
                    $"({layout.Name} records are {recordLength} bytes: {layout.LabelBytes} label byte{(layout.LabelBytes > 1 ? "s" : "")}, then 3,072 pixels). Download and unpack it again.");
            for (int record = 0; record < bytes.Length / recordLength; record++)
            {
                int start = record * recordLength, label = bytes[start + layout.LabelBytes - 1];
                if (label >= names.Count)
                    throw new InvalidDataException($"'{file}' has label {label} at record {record}, but {layout.NamesFile} names {names.Count} classes (labels 0 to {names.Count - 1}). " +
                        "The file is damaged, or the names file is from another data set.");
                var pixels = bytes.AsMemory(start + layout.LabelBytes, Pixels);
                rows.Add(ImageRow.Lazy(() => Array.ConvertAll(pixels.ToArray(), b => b / 255f), names[label]));
            }
        }
        return new LabelledImageSet(rows, s_shape, names, $"{layout.Name} {part} of {folder}");
    }
}

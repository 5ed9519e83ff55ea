using Microsoft.ML.Agd.Models;
namespace Microsoft.ML.Agd.Samples.Data;

/// <summary>An image folder with one sub-folder per class, as ML.NET Model Builder reads it.</summary>
internal static class ImageFolder
{
    /// <summary>Lists every image of every class folder; each is decoded when a cursor reads it.</summary>
    /// <exception cref="InvalidDataException">A class folder has no images, there are fewer than two classes, or an image is corrupt.</exception>
    public static LabelledImageSet Load(string folder, AgdImageShape shape)
    {
        var classFolders = Directory.GetDirectories(folder).OrderBy(d => d, StringComparer.Ordinal).ToList();
        if (classFolders.Count < 2)
            throw new InvalidDataException($"'{folder}' has {classFolders.Count} class sub-folder(s); an image folder needs one sub-folder per class, at least two.");
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

    /// <summary>A seeded, stratified split: the same share of every class goes to the test set (at least one image when it has two).</summary>
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
            test.AddRange(shuffled.Take(held));
            train.AddRange(shuffled.Skip(held));
        }
        return (all with { Rows = train.OrderBy(_ => random.Next()).ToList(), Description = $"training split of {all.Description}" },
                all with { Rows = test, Description = $"test split of {all.Description}" });
    }

    /// <summary>The image files of a folder, in name order.</summary>
    public static List<string> Files(string folder)
        => Directory.GetFiles(folder).Where(f => ImageDecoder.Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .OrderBy(f => f, StringComparer.Ordinal).ToList();
}

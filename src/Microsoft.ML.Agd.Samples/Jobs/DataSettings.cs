using Microsoft.ML.Agd.Samples.Data;

namespace Microsoft.ML.Agd.Samples.Jobs;

/// <summary>The data a verb trains on: the folder, how an image folder is decoded and split, and the split's seed.</summary>
internal sealed record DataSettings
{
    /// <summary>IDX folder or image folder; null for the default Fashion-MNIST.</summary>
    public string? Folder { get; init; }

    /// <summary>Shape images of an image folder are resized to (IDX images keep theirs).</summary>
    public AgdImageShape ImageShape { get; init; } = DataSets.DefaultImageShape;

    /// <summary>Share of an image folder held out for validation and testing.</summary>
    public double TestFraction { get; init; } = DataSets.DefaultTestFraction;

    /// <summary>Seed of an image folder's split.</summary>
    public int Seed { get; init; }

    /// <summary>Checks the settings before anything is read.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range; the message names its option.</exception>
    public void Validate()
    {
        if (!(TestFraction > 0 && TestFraction < 1))
            throw new ArgumentOutOfRangeException("--test-fraction", TestFraction, "The test fraction must be between 0 and 1 (exclusive).");
        if (ImageShape.Channels is not (1 or 3))
            throw new ArgumentOutOfRangeException(nameof(ImageShape), ImageShape.Channels, "An image folder's images are read with 1 channel (--grey) or 3; the ImageShape's Channels must be one of them.");
        if (ImageShape.Height < 1 || ImageShape.Width < 1)
            throw new ArgumentOutOfRangeException("--image-size", ImageShape.Height, "The image size must be at least 1.");
        if (ImageShape.Size > int.MaxValue || (long)ImageShape.Height * ImageShape.Width > ImageDecoder.MaxPixels)
            throw new ArgumentOutOfRangeException("--image-size", ImageShape.Height,
                $"Images of {ImageShape.Height}x{ImageShape.Width} pixels have more than the {ImageDecoder.MaxPixels / 1_000_000} million pixels an image may have; give a smaller --image-size.");
    }

    /// <summary>The training and test sets.</summary>
    public (LabelledImageSet Train, LabelledImageSet Test) Load() => DataSets.Load(Folder, ImageShape, TestFraction, Seed);
}

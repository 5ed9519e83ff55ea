using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Samples.Networks;

/// <summary>
/// A VGG network (Simonyan and Zisserman, 2015; the AGD paper trains VGG-16) written as a user writes one: an
/// <c>nn.Sequential</c> of TorchSharp's standard layers, handed to the trainer as <c>Options.NetworkFactory</c>.
/// Stages of 3x3 convolutions (no bias, as the paper's), batch norm without affine parameters and ReLU, each followed by
/// a 2x2 max-pool while the image is larger than 2x2, then global average pooling and one linear layer: so 28x28 and
/// 32x32 images (and any other size) work.
/// </summary>
internal static class Vgg
{
    /// <summary>VGG-16's convolutions per stage: 2, 2, 3, 3, 3.</summary>
    public static readonly int[] Vgg16 = [2, 2, 3, 3, 3];

    /// <summary>Builds the network for an image shape and a number of classes.</summary>
    /// <param name="shape">The images' shape.</param>
    /// <param name="classes">Number of outputs.</param>
    /// <param name="baseWidth">Channels of the first stage; each stage doubles them, up to eight times (VGG-16's is 64).</param>
    /// <param name="stages">Convolutions per stage.</param>
    public static nn.Module<Tensor, Tensor> Create(AgdImageShape shape, int classes, int baseWidth = 16, int[]? stages = null)
    {
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        long channels = shape.Channels;
        foreach (var (stage, convolutions, width, pooled) in Stages(shape, baseWidth, stages))
        {
            for (int i = 0; i < convolutions; i++)
            {
                layers.Add(($"conv{stage}_{i}", nn.Conv2d(channels, width, 3, padding: 1, bias: false)));
                layers.Add(($"norm{stage}_{i}", nn.BatchNorm2d(width, affine: false)));
                layers.Add(($"relu{stage}_{i}", nn.ReLU()));
                channels = width;
            }
            if (pooled)
                layers.Add(($"pool{stage}", nn.MaxPool2d(2)));
        }
        layers.Add(("average", nn.AdaptiveAvgPool2d(1)));
        layers.Add(("flatten", nn.Flatten()));
        layers.Add(("classifier", nn.Linear(channels, classes, hasBias: false)));
        return nn.Sequential(layers);
    }

    /// <summary>The weights <see cref="Create"/> makes, counted before any is: to check that they fit in memory.</summary>
    public static double ParameterCount(AgdImageShape shape, int classes, int baseWidth = 16, int[]? stages = null)
    {
        double count = 0, channels = shape.Channels;
        foreach (var (_, convolutions, width, _) in Stages(shape, baseWidth, stages))
            for (int i = 0; i < convolutions; i++, channels = width)
                count += 9 * channels * width;
        return count + channels * classes;
    }

    // Each stage: its index, its convolutions, their width, and whether a max-pool follows (while the image is 2x2 or larger).
    private static IEnumerable<(int Stage, int Convolutions, long Width, bool Pooled)> Stages(AgdImageShape shape, int baseWidth, int[]? stages)
    {
        long size = Math.Min(shape.Height, shape.Width);
        int stage = 0;
        foreach (int convolutions in stages ?? Vgg16)
        {
            bool pooled = size >= 2;
            if (pooled)
                size /= 2;
            yield return (stage, convolutions, (long)baseWidth << Math.Min(stage, 3), pooled);
            stage++;
        }
    }
}

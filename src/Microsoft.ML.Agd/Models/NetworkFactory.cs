using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Models;

/// <summary>Builds the network that the trainer's options describe.</summary>
internal static class NetworkFactory
{
    public static nn.Module<Tensor, Tensor> Create(AgdImageClassificationTrainer.Options options, AgdImageShape shape, int classes) => options.Architecture switch
    {
        AgdArchitecture.Fcn => new Fcn(shape.Size, options.Width, options.Depth, classes),
        AgdArchitecture.ResNet18 => ResNet(18, options, shape, classes),
        AgdArchitecture.ResNet34 => ResNet(34, options, shape, classes),
        AgdArchitecture.ResNet50 => ResNet(50, options, shape, classes),
        _ => throw new ArgumentOutOfRangeException(nameof(options), options.Architecture, "Unknown architecture."),
    };

    public static bool IsConvolutional(AgdArchitecture architecture) => architecture != AgdArchitecture.Fcn;

    // Images of 128 pixels and more get the ImageNet stem, which quarters the resolution before the first block.
    private static PreActResNet ResNet(int depth, AgdImageClassificationTrainer.Options options, AgdImageShape shape, int classes)
        => new(depth, classes, shape.Channels, options.BaseWidth, imageNetStem: Math.Min(shape.Height, shape.Width) >= 128);
}

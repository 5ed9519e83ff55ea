using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd;

/// <summary>Builds the network that the trainer's options describe, as the trainer does (before AGD's initialisation).</summary>
public static class AgdNetworks
{
    /// <summary>The network of the options' architecture and size for images of a shape and a number of classes.</summary>
    /// <param name="options">Architecture, depth, width and base width are read.</param>
    /// <param name="shape">The input images' shape.</param>
    /// <param name="classes">Number of outputs.</param>
    public static nn.Module<Tensor, Tensor> Create(AgdImageClassificationTrainer.Options options, AgdImageShape shape, int classes) => options.EffectiveArchitecture switch
    {
        AgdArchitecture.Custom => options.NetworkFactory!(shape, classes)
            ?? throw new InvalidOperationException($"NetworkFactory returned null for images of shape {shape} and {classes} classes; it must return the network."),
        AgdArchitecture.Fcn => new Fcn(shape.Size, options.Width, options.Depth, classes),
        AgdArchitecture.ResNet18 => ResNet(18, options, shape, classes),
        AgdArchitecture.ResNet34 => ResNet(34, options, shape, classes),
        AgdArchitecture.ResNet50 => ResNet(50, options, shape, classes),
        _ => throw new ArgumentOutOfRangeException(nameof(options), options.Architecture, "Unknown architecture."),
    };

    /// <summary>Whether the architecture is one of our convolutional networks, which need the image shape (a custom network is given whatever shape there is).</summary>
    public static bool IsConvolutional(AgdArchitecture architecture) => architecture is AgdArchitecture.ResNet18 or AgdArchitecture.ResNet34 or AgdArchitecture.ResNet50;

    // Images of 128 pixels and more get the ImageNet stem, which quarters the resolution before the first block.
    private static PreActResNet ResNet(int depth, AgdImageClassificationTrainer.Options options, AgdImageShape shape, int classes)
        => new(depth, classes, shape.Channels, options.BaseWidth, imageNetStem: Math.Min(shape.Height, shape.Width) >= 128);
}

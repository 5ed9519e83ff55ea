using Microsoft.ML.Agd.Models;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd;

/// <summary>Builds the library's networks by name and size, before AGD's initialisation.</summary>
public static class AgdNetworks
{
    /// <summary>The network of an architecture and size for images of a shape and a number of classes.</summary>
    /// <param name="architecture">Fcn or a ResNet (a custom network is built by its own factory).</param>
    /// <param name="shape">The input images' shape.</param>
    /// <param name="classes">Number of outputs.</param>
    /// <param name="depth">FCN depth.</param>
    /// <param name="width">FCN width.</param>
    /// <param name="baseWidth">ResNet base width.</param>
    public static nn.Module<Tensor, Tensor> Create(AgdArchitecture architecture, AgdImageShape shape, int classes, int depth = 3, int width = 512, int baseWidth = 16)
        => architecture switch
        {
            AgdArchitecture.Fcn => new Fcn(shape.Size, width, depth, classes),
            AgdArchitecture.ResNet18 => ResNet(18, baseWidth, shape, classes),
            AgdArchitecture.ResNet34 => ResNet(34, baseWidth, shape, classes),
            AgdArchitecture.ResNet50 => ResNet(50, baseWidth, shape, classes),
            _ => throw new ArgumentOutOfRangeException(nameof(architecture), architecture, "AgdNetworks builds Fcn and the ResNets; a custom network comes from its factory."),
        };

    /// <summary>Whether the architecture is one of our convolutional networks, which need the image shape (a custom network is given whatever shape there is).</summary>
    public static bool IsConvolutional(AgdArchitecture architecture) => architecture is AgdArchitecture.ResNet18 or AgdArchitecture.ResNet34 or AgdArchitecture.ResNet50;

    // Images of 128 pixels and more get the ImageNet stem, which quarters the resolution before the first block.
    private static PreActResNet ResNet(int depth, int baseWidth, AgdImageShape shape, int classes)
        => new(depth, classes, shape.Channels, baseWidth, imageNetStem: Math.Min(shape.Height, shape.Width) >= 128);
}

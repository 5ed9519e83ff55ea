using Microsoft.ML.Agd.Models;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd;

/// <summary>Builds the library's networks by name and size, before AGD's initialisation.</summary>
internal static class AgdNetworks
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
            _ when IsConvolutional(architecture) => new PreActResNet(ResNetDepth(architecture), classes, shape.Channels, baseWidth, UsesImageNetStem(shape)),
            _ => throw new ArgumentOutOfRangeException(nameof(architecture), architecture, "AgdNetworks builds Fcn and the ResNets; a custom network comes from its factory."),
        };

    /// <summary>
    /// The parameters the network of an architecture and size has, before it is built: an FCN's by its formula, a ResNet's
    /// from three small ones (its count is a quadratic function of the base width: every convolution's weight has a
    /// multiple of it on each side, the stem and the classifier on one).
    /// </summary>
    internal static double ParameterCount(AgdArchitecture architecture, AgdImageShape shape, int classes, int depth, int width, int baseWidth)
    {
        if (architecture == AgdArchitecture.Fcn)
            return Fcn.ParameterCount(shape.Size, width, depth, classes);
        var small = new[] { 1, 2, 3 }.Select(w =>
        {
            using var network = Create(architecture, shape, classes, depth, width, w);
            return (double)network.parameters().Sum(p => p.numel());
        }).ToArray();
        // The quadratic through (1, c1), (2, c2), (3, c3), at the base width.
        double second = (small[2] - 2 * small[1] + small[0]) / 2, first = small[1] - small[0] - 3 * second, constant = small[0] - first - second;
        return second * baseWidth * baseWidth + first * baseWidth + constant;
    }

    /// <summary>
    /// The size of the network of an architecture, before it is built: its parameters, and its modules' outputs and largest convolution's unfold for one image, counted on a small one (<see cref="ModuleOutputs"/>):
    /// an FCN's do not depend on the images; a ResNet's grow with its base width and the images' pixels, so they are counted
    /// at base widths 1 and 2 on images of at most 256 x 256 with the same stem and scaled.
    /// </summary>
    /// <param name="architecture">Fcn or a ResNet.</param>
    /// <param name="shape">The input images' shape.</param>
    /// <param name="classes">Number of outputs.</param>
    /// <param name="depth">FCN depth.</param>
    /// <param name="width">FCN width.</param>
    /// <param name="baseWidth">ResNet base width.</param>
    /// <param name="parameters">Its parameters (<see cref="ParameterCount"/>), checked to fit before anything is built.</param>
    internal static NetworkSize Size(AgdArchitecture architecture, AgdImageShape shape, int classes, int depth, int width, int baseWidth, double parameters)
    {
        if (architecture == AgdArchitecture.Fcn)
        {
            var single = new AgdImageShape(1, 1, 1);
            using var fcn = Create(architecture, single, classes, depth, width);
            return new NetworkSize(parameters, ModuleOutputs.PerImage(fcn, single).Outputs);
        }
        double scale = Math.Max(1, Math.Sqrt((double)shape.Height * shape.Width / (256.0 * 256.0)));
        var small = new AgdImageShape(shape.Channels, (int)Math.Ceiling(shape.Height / scale), (int)Math.Ceiling(shape.Width / scale));
        using var resNet = new PreActResNet(ResNetDepth(architecture), classes, shape.Channels, 1, UsesImageNetStem(shape));
        var (outputs, unfolds) = ModuleOutputs.PerImage(resNet, small);
        // Each convolution's unfold is linear in the base width (the stem's constant, a stage's in proportion): read at 1 and 2.
        using var wider = new PreActResNet(ResNetDepth(architecture), classes, shape.Channels, 2, UsesImageNetStem(shape));
        var atTwo = ModuleOutputs.PerImage(wider, small).Unfolds;
        double pixels = (double)shape.Height * shape.Width / ((double)small.Height * small.Width);
        double unfold = unfolds.Zip(atTwo, (one, two) => one + (two - one) * (baseWidth - 1)).DefaultIfEmpty(0).Max();
        return new NetworkSize(parameters, outputs * pixels * baseWidth, unfold * pixels);
    }

    /// <summary>Whether the architecture is one of our convolutional networks, which need the image shape (a custom network is given whatever shape there is).</summary>
    public static bool IsConvolutional(AgdArchitecture architecture) => architecture is AgdArchitecture.ResNet18 or AgdArchitecture.ResNet34 or AgdArchitecture.ResNet50;

    // Images of 128 pixels and more get the ImageNet stem, which quarters the resolution before the first block.
    private static bool UsesImageNetStem(AgdImageShape shape) => Math.Min(shape.Height, shape.Width) >= 128;

    private static int ResNetDepth(AgdArchitecture architecture) => architecture switch
    {
        AgdArchitecture.ResNet18 => 18,
        AgdArchitecture.ResNet34 => 34,
        _ => 50,
    };
}

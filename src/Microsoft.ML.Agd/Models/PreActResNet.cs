using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Models;

/// <summary>
/// Pre-activation ResNet-18, -34 or -50 (He et al., 2016) as the AGD paper trains it: convolutions without bias and
/// batch norm without affine parameters by default, a 3x3 stem without max-pool for small images (the ImageNet stem,
/// 7x7 stride 2 and max-pool, for large ones), global average pooling, so any image size and channel count works.
/// </summary>
public sealed class PreActResNet : Block
{
    private readonly Conv2d stem;
    private readonly MaxPool2d? stemPool;
    private readonly ModuleList<nn.Module<Tensor, Tensor>> blocks;
    private readonly BatchNorm2d finalNorm;
    private readonly Linear classifier;

    /// <summary>Creates the network.</summary>
    /// <param name="depth">18, 34 (basic blocks) or 50 (bottlenecks).</param>
    /// <param name="classes">Number of outputs.</param>
    /// <param name="inputChannels">Channels of the input images (1 for grey, 3 for colour).</param>
    /// <param name="baseWidth">Channels of the first stage; stages double it. The paper's is 64; 16 trains well on a CPU.</param>
    /// <param name="imageNetStem">Use the 7x7 stride-2 stem with max-pool, for images of about 128 pixels and more.</param>
    /// <param name="bias">Give convolutions and the classifier biases (the paper's have none).</param>
    /// <param name="affine">Give batch norms a learnt scale and shift (the paper's have none).</param>
    public PreActResNet(int depth, long classes, long inputChannels = 3, long baseWidth = 64, bool imageNetStem = false, bool bias = false, bool affine = false)
        : base($"PreActResNet{depth}")
    {
        var (stages, bottleneck) = depth switch
        {
            18 => (new[] { 2, 2, 2, 2 }, false),
            34 => (new[] { 3, 4, 6, 3 }, false),
            50 => (new[] { 3, 4, 6, 3 }, true),
            _ => throw new ArgumentOutOfRangeException(nameof(depth), depth, "Pre-activation ResNets come in depths 18, 34 and 50."),
        };
        Check.Positive(classes, nameof(classes));
        Check.Positive(inputChannels, nameof(inputChannels));
        Check.Positive(baseWidth, nameof(baseWidth));
        Depth = depth;
        var options = new ResNetLayerOptions(bias, affine);
        stem = imageNetStem
            ? nn.Conv2d(inputChannels, baseWidth, 7, stride: 2, padding: 3, bias: bias)
            : options.Conv(inputChannels, baseWidth, 3, 1);
        stemPool = imageNetStem ? nn.MaxPool2d(3, stride: 2, padding: 1) : null;

        var list = new List<nn.Module<Tensor, Tensor>>();
        long inPlanes = baseWidth;
        for (int s = 0; s < stages.Length; s++)
        {
            long planes = baseWidth << s;
            for (int b = 0; b < stages[s]; b++)
            {
                long stride = s > 0 && b == 0 ? 2 : 1;
                var unit = bottleneck ? PreActUnit.Bottleneck(inPlanes, planes, stride, options) : PreActUnit.Basic(inPlanes, planes, stride, options);
                list.Add(unit);
                inPlanes = unit.OutPlanes;
            }
        }
        blocks = new ModuleList<nn.Module<Tensor, Tensor>>(list.ToArray());
        finalNorm = options.Norm(inPlanes);
        classifier = nn.Linear(inPlanes, classes, hasBias: bias);
        RegisterComponents();
    }

    /// <summary>18, 34 or 50.</summary>
    public int Depth { get; }

    /// <inheritdoc />
    public override T Compute<T>(IBlockOps<T> ops, T input)
    {
        var x = ops.Apply(stem, input);
        if (stemPool is not null)
            x = ops.Apply(stemPool, x);
        foreach (var block in blocks)
            x = ops.Apply(block, x);
        x = ops.Relu(ops.Apply(finalNorm, x));
        return ops.Apply(classifier, ops.Flatten(ops.GlobalAveragePool(x)));
    }
}

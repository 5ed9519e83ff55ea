using TorchSharp.Modules;

namespace Microsoft.ML.Agd.Models;

/// <summary>
/// A pre-activation residual unit (He et al., 2016): each convolution reads bn-relu of what came before, and the
/// input (or a 1x1 projection of its first activation) is added at the end. Two 3x3 convolutions make ResNet-18/34's
/// basic block; 1x1, 3x3, 1x1 (four times wider) make ResNet-50's bottleneck.
/// </summary>
internal sealed class PreActUnit : Block
{
    private readonly ModuleList<BatchNorm2d> norms;
    private readonly ModuleList<Conv2d> convs;
    private readonly Conv2d? shortcut;

    private PreActUnit(long inPlanes, (long Out, long Kernel, long Stride)[] convs, ResNetLayerOptions options) : base(nameof(PreActUnit))
    {
        long channels = inPlanes;
        norms = new ModuleList<BatchNorm2d>();
        this.convs = new ModuleList<Conv2d>();
        foreach (var (outPlanes, kernel, stride) in convs)
        {
            norms.Add(options.Norm(channels));
            this.convs.Add(options.Conv(channels, outPlanes, kernel, stride));
            channels = outPlanes;
        }
        long unitStride = convs.Max(c => c.Stride);
        if (unitStride != 1 || inPlanes != channels)
            shortcut = options.Conv(inPlanes, channels, 1, unitStride);
        OutPlanes = channels;
        RegisterComponents();
    }

    /// <summary>Channels of the unit's output.</summary>
    public long OutPlanes { get; }

    /// <summary>The basic block: two 3x3 convolutions, the first with the stride.</summary>
    public static PreActUnit Basic(long inPlanes, long planes, long stride, ResNetLayerOptions options)
        => new(inPlanes, [(planes, 3, stride), (planes, 3, 1)], options);

    /// <summary>The bottleneck: 1x1 reduce, 3x3 with the stride, 1x1 expand to four times the planes.</summary>
    public static PreActUnit Bottleneck(long inPlanes, long planes, long stride, ResNetLayerOptions options)
        => new(inPlanes, [(planes, 1, 1), (planes, 3, stride), (planes * 4, 1, 1)], options);

    // The first norm feeds the first convolution and the shortcut; it moves with the convolution, which reads it first.
    public override T Compute<T>(IBlockOps<T> ops, T x)
    {
        var y = ops.Relu(ops.Apply(norms[0], x));
        var branch = ops.Apply(convs[0], y);
        var residual = shortcut is null ? x : ops.Apply(shortcut, y);
        for (int i = 1; i < convs.Count; i++)
            branch = ops.Apply(convs[i], ops.Relu(ops.Apply(norms[i], branch)));
        return ops.Add(branch, residual);
    }
}

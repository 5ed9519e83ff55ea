using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Models;

/// <summary>
/// A pre-activation residual unit (He et al., 2016): each convolution reads bn-relu of what came before, and the
/// input (or a 1x1 projection of its first activation) is added at the end. Two 3x3 convolutions make ResNet-18/34's
/// basic block; 1x1, 3x3, 1x1 (four times wider) make ResNet-50's bottleneck.
/// </summary>
internal sealed class PreActUnit : nn.Module<Tensor, Tensor>, IOnnxExportable, IAgdLayers
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

    public override Tensor forward(Tensor x)
    {
        var y = nn.functional.relu(norms[0].call(x));
        var residual = shortcut is null ? x : shortcut.call(y);
        y = convs[0].call(y);
        for (int i = 1; i < convs.Count; i++)
            y = convs[i].call(nn.functional.relu(norms[i].call(y)));
        return y.add(residual);
    }

    // Norm i feeds convolution i (pre-activation), so its scale and shift move with that convolution: the first norm joins
    // the unit's first convolution, never the previous unit's last convolution or shortcut, which it only follows in
    // registration order. The shortcut reads the same normalised input but is a projection of its own.
    public IEnumerable<(nn.Module Weight, IReadOnlyList<nn.Module> Members)> AgdLayers()
        => convs.Zip(norms, (conv, norm) => ((nn.Module)conv, (IReadOnlyList<nn.Module>)[norm]));

    string IOnnxExportable.Export(OnnxGraph graph, string x)
    {
        var y = graph.Relu(graph.Module(norms[0], x));
        var residual = shortcut is null ? x : graph.Module(shortcut, y);
        y = graph.Module(convs[0], y);
        for (int i = 1; i < convs.Count; i++)
            y = graph.Module(convs[i], graph.Relu(graph.Module(norms[i], y)));
        return graph.Node("Add", [y, residual]);
    }
}

using Microsoft.ML.Agd.Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Models;

/// <summary>
/// A pre-activation residual unit (He et al., 2016): each convolution reads bn-relu of what came before, and the
/// input (or a 1x1 projection of its first activation) is added at the end. Two 3x3 convolutions make ResNet-18/34's
/// basic block; 1x1, 3x3, 1x1 (four times wider) make ResNet-50's bottleneck.
/// </summary>
internal sealed class PreActUnit : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly BatchNorm2d[] _norms;
    private readonly Conv2d[] _convs;
    // Registered in order bn, conv, bn, conv...: a normalisation's affine parameters join the layer before it.
    private readonly ModuleList<nn.Module> layers;
    private readonly Conv2d? shortcut;

    private PreActUnit(long inPlanes, (long Out, long Kernel, long Stride)[] convs, ResNetLayerOptions options) : base(nameof(PreActUnit))
    {
        long channels = inPlanes;
        _norms = new BatchNorm2d[convs.Length];
        _convs = new Conv2d[convs.Length];
        for (int i = 0; i < convs.Length; i++)
        {
            _norms[i] = options.Norm(channels);
            _convs[i] = options.Conv(channels, convs[i].Out, convs[i].Kernel, convs[i].Stride);
            channels = convs[i].Out;
        }
        long stride = convs.Max(c => c.Stride);
        if (stride != 1 || inPlanes != channels)
            shortcut = options.Conv(inPlanes, channels, 1, stride);
        layers = new ModuleList<nn.Module>(_norms.Zip(_convs).SelectMany(p => new nn.Module[] { p.First, p.Second }).ToArray());
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
        var y = nn.functional.relu(_norms[0].call(x));
        var residual = shortcut is null ? x : shortcut.call(y);
        y = _convs[0].call(y);
        for (int i = 1; i < _convs.Length; i++)
            y = _convs[i].call(nn.functional.relu(_norms[i].call(y)));
        return y.add(residual);
    }

    string IOnnxExportable.Export(OnnxGraph graph, string x)
    {
        var y = graph.Relu(graph.Module(_norms[0], x));
        var residual = shortcut is null ? x : graph.Module(shortcut, y);
        y = graph.Module(_convs[0], y);
        for (int i = 1; i < _convs.Length; i++)
            y = graph.Module(_convs[i], graph.Relu(graph.Module(_norms[i], y)));
        return graph.Node("Add", [y, residual]);
    }
}

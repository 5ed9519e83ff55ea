using Microsoft.ML.Agd.Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Models;

/// <summary>Pre-activation bottleneck (He et al., 2016): 1x1 reduce, 3x3, 1x1 expand by four, each after bn-relu.</summary>
internal sealed class PreActBottleneck : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    public const int Expansion = 4;

    private readonly BatchNorm2d bn1, bn2, bn3;
    private readonly Conv2d conv1, conv2, conv3;
    private readonly Conv2d? shortcut;

    public PreActBottleneck(long inPlanes, long planes, long stride, ResNetLayerOptions options) : base(nameof(PreActBottleneck))
    {
        bn1 = options.Norm(inPlanes);
        conv1 = options.Conv(inPlanes, planes, 1, 1);
        bn2 = options.Norm(planes);
        conv2 = options.Conv(planes, planes, 3, stride);
        bn3 = options.Norm(planes);
        conv3 = options.Conv(planes, planes * Expansion, 1, 1);
        if (stride != 1 || inPlanes != planes * Expansion)
            shortcut = options.Conv(inPlanes, planes * Expansion, 1, stride);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var a = nn.functional.relu(bn1.call(x));
        var residual = shortcut is null ? x : shortcut.call(a);
        var y = conv1.call(a);
        y = conv2.call(nn.functional.relu(bn2.call(y)));
        y = conv3.call(nn.functional.relu(bn3.call(y)));
        return y.add(residual);
    }

    string IOnnxExportable.Export(OnnxGraph graph, string x)
    {
        var a = graph.Relu(graph.BatchNorm(bn1, x));
        var residual = shortcut is null ? x : graph.Conv(shortcut, a);
        var y = graph.Conv(conv1, a);
        y = graph.Conv(conv2, graph.Relu(graph.BatchNorm(bn2, y)));
        y = graph.Conv(conv3, graph.Relu(graph.BatchNorm(bn3, y)));
        return graph.Node("Add", [y, residual]);
    }
}

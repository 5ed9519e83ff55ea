using Microsoft.ML.Agd.Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Models;

/// <summary>Pre-activation basic block (He et al., 2016): bn-relu-conv3x3, bn-relu-conv3x3, plus the shortcut.</summary>
internal sealed class PreActBlock : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    public const int Expansion = 1;

    private readonly BatchNorm2d bn1, bn2;
    private readonly Conv2d conv1, conv2;
    private readonly Conv2d? shortcut;

    public PreActBlock(long inPlanes, long planes, long stride, ResNetLayerOptions options) : base(nameof(PreActBlock))
    {
        bn1 = options.Norm(inPlanes);
        conv1 = options.Conv(inPlanes, planes, 3, stride);
        bn2 = options.Norm(planes);
        conv2 = options.Conv(planes, planes, 3, 1);
        if (stride != 1 || inPlanes != planes)
            shortcut = options.Conv(inPlanes, planes, 1, stride);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var a = nn.functional.relu(bn1.call(x));
        var residual = shortcut is null ? x : shortcut.call(a);
        var y = conv1.call(a);
        y = conv2.call(nn.functional.relu(bn2.call(y)));
        return y.add(residual);
    }

    string IOnnxExportable.Export(OnnxGraph graph, string x)
    {
        var a = graph.Relu(graph.BatchNorm(bn1, x));
        var residual = shortcut is null ? x : graph.Conv(shortcut, a);
        var y = graph.Conv(conv1, a);
        y = graph.Conv(conv2, graph.Relu(graph.BatchNorm(bn2, y)));
        return graph.Node("Add", [y, residual]);
    }
}

using TorchSharp;
using TorchSharp.Modules;

namespace Microsoft.ML.Agd.Models;

/// <summary>How a ResNet makes its convolutions and normalisations (the paper's: no bias, no affine parameters).</summary>
internal sealed record ResNetLayerOptions(bool ConvBias, bool NormAffine)
{
    public Conv2d Conv(long inPlanes, long outPlanes, long kernel, long stride)
        => torch.nn.Conv2d(inPlanes, outPlanes, kernel, stride: stride, padding: kernel / 2, bias: ConvBias);

    public BatchNorm2d Norm(long planes) => torch.nn.BatchNorm2d(planes, affine: NormAffine);
}

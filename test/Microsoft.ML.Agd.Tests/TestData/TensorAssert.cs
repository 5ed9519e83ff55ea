using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Tests.TestData;

internal static class TensorAssert
{
    public static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    public static long LiveTensors => TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
}

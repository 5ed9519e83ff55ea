using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Tests.Distributed;

[TestClass]
[DoNotParallelize] // the ranks are threads
public class SharedBatchNormsTests
{
    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void TwoRanksHalvesOfABatchNormalizeAndBackPropagateAsTheWholeBatchDoes(bool affine)
    {
        // libtorch's batch norm over 6 rows against two ranks of 3 rows each, in float64: outputs, the input's gradient
        // (which needs every row's through the statistics) and the affine parameters' gradients summed over the ranks.
        var generator = new Generator(5);
        var x = randn([6, 3, 4, 4], ScalarType.Float64, generator: generator);
        var weights = randn([6, 3, 4, 4], ScalarType.Float64, generator: generator);
        Tensor[] Run(nn.Module<Tensor, Tensor> network, Tensor rows, Tensor weight)
        {
            var input = rows.clone().requires_grad_();
            var output = network.call(input);
            (output * weight).sum().backward();
            return [output.detach(), input.grad!, .. network.parameters().Select(p => p.grad!.clone())];
        }
        nn.Module<Tensor, Tensor> Norm()
        {
            var norm = nn.BatchNorm2d(3, affine: affine, dtype: ScalarType.Float64);
            if (affine)
                using (no_grad())
                {
                    norm.weight!.copy_(tensor(new[] { 0.5, 2.0, -1.0 }, ScalarType.Float64));
                    norm.bias!.copy_(tensor(new[] { 0.1, 0.0, 3.0 }, ScalarType.Float64));
                }
            return nn.Sequential(norm);
        }
        var whole = Run(Norm(), x, weights);
        var halves = ThreadRanks.Run(2, ranks =>
        {
            using var share = new RankShare(ranks, default) { IsSharing = true };
            var network = Norm();
            network.train();
            using var shared = new SharedBatchNorms(network, share);
            return Run(network, x.narrow(0, 3 * ranks.Rank, 3), weights.narrow(0, 3 * ranks.Rank, 3));
        });
        Close(whole[0], cat([halves[0][0], halves[1][0]]), 1e-5);
        Close(whole[1], cat([halves[0][1], halves[1][1]]), 1e-5);
        for (int p = 2; p < whole.Length; p++)
            Close(whole[p], halves[0][p] + halves[1][p], 1e-5);
    }

    // The exchange is in float32: sums of a few dozen values agree to about 1e-6.
    private static void Close(Tensor expected, Tensor actual, double tolerance)
    {
        double difference = (expected - actual).abs().max().item<double>();
        Assert.IsTrue(difference <= tolerance * Math.Max(1, expected.abs().max().item<double>()), $"differ by {difference:G3}");
    }
}

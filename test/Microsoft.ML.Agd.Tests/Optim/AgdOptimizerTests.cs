using TorchSharp.Modules;
using static TorchSharp.torch;
using static Microsoft.ML.Agd.Tests.Optim.ReferenceAgd;

namespace Microsoft.ML.Agd.Tests.Optim;

[TestClass]
public class AgdOptimizerTests
{
    [TestMethod]
    [DataRow("fcn", AgdStepNorm.Frobenius)]
    [DataRow("convolutional", AgdStepNorm.Frobenius)]
    [DataRow("float64", AgdStepNorm.Frobenius)] // float64 gradients take libtorch's way to the norms (as on a GPU), not CpuStep's
    [DataRow("fcn", AgdStepNorm.Spectral)]
    [DataRow("convolutional", AgdStepNorm.Spectral)]
    [DataRow("float64", AgdStepNorm.Spectral)]
    public void StepMatchesFloat64Reference(string network, AgdStepNorm norm)
    {
        torch.manual_seed(network.Length);
        var (net, input, classes) = network switch
        {
            "fcn" => ((nn.Module<Tensor, Tensor>)new Fcn(inputSize: 6, width: 5, depth: 3, classes: 4), randn(8, 6), 4),
            "convolutional" => (nn.Sequential(
                nn.Conv2d(2, 4, 3, padding: 1, bias: false), nn.ReLU(),
                nn.Conv2d(4, 3, 3, stride: 2, padding: 1, bias: false), nn.ReLU(),
                nn.Flatten(), nn.Linear(3 * 3 * 3, 5, hasBias: false)), randn(6, 2, 5, 5), 5),
            _ => (nn.Sequential(
                nn.Conv2d(2, 4, 3, padding: 1, bias: false), nn.ReLU(),
                nn.Flatten(), nn.Linear(4 * 5 * 5, 5, hasBias: false)).to(float64), randn(6, 2, 5, 5, dtype: float64), 5),
        };
        CheckAgainstReference(net, input, classes, norm);
    }

    [TestMethod]
    [DataRow(AgdStepNorm.Frobenius)]
    [DataRow(AgdStepNorm.Spectral)]
    public void StepMatchesFloat64ReferenceWithBiasesAndAffineParameters(AgdStepNorm stepNorm)
    {
        torch.manual_seed(3);
        var conv = nn.Conv2d(2, 4, 3, padding: 1, bias: true);
        var norm = nn.BatchNorm2d(4, affine: true);
        var linear1 = nn.Linear(4 * 4 * 4, 6, hasBias: true);
        var norm1d = nn.BatchNorm1d(6, affine: true);
        var linear2 = nn.Linear(6, 3, hasBias: true);
        var net = nn.Sequential(conv, norm, nn.ReLU(), nn.Flatten(), linear1, norm1d, nn.ReLU(), linear2);
        var input = randn(5, 2, 4, 4);
        // The grouping is stated here by hand: a weight, its own bias, then the normalisation that follows it.
        var groups = new List<Parameter[]>
        {
            new[] { conv.weight!, conv.bias!, norm.weight!, norm.bias! },
            new[] { linear1.weight!, linear1.bias!, norm1d.weight!, norm1d.bias! },
            new[] { linear2.weight!, linear2.bias! },
        };
        CheckAgainstReference(net, input, classes: 3, stepNorm, groups);
    }

    [TestMethod]
    public void ZeroGradientGivesZeroUpdateNeverNaN()
    {
        torch.manual_seed(4);
        var conv = nn.Conv2d(2, 3, 3, bias: false);
        var linear = nn.Linear(4, 2, hasBias: false);
        var optimizer = new AgdOptimizer(nn.Sequential(conv, linear));
        using var before = conv.weight!.detach().clone();
        var linearBefore = linear.weight!.detach().clone();
        conv.weight!.grad = zeros_like(conv.weight);
        linear.weight!.grad = ones_like(linear.weight);
        double eta = optimizer.StepEta();

        Assert.IsTrue(double.IsFinite(eta));
        Assert.IsTrue(TensorAssert.Same(conv.weight, before), "A zero gradient must leave the weight unchanged.");
        Assert.IsFalse(linear.weight.isnan().any().item<bool>());
        Assert.IsFalse(TensorAssert.Same(linear.weight, linearBefore));

        // One kernel position of a second convolution gradient is zero while the others are not.
        var g = randn(conv.weight.shape);
        g[.., .., 1, 2] = zeros(3, 2);
        conv.weight.grad = g;
        using var before2 = conv.weight.detach().clone();
        optimizer.StepEta();
        Assert.IsFalse(conv.weight.isnan().any().item<bool>());
        Assert.IsTrue(TensorAssert.Same(conv.weight[.., .., 1, 2], before2[.., .., 1, 2]), "A zero kernel slice must not move.");
        Assert.IsFalse(TensorAssert.Same(conv.weight[.., .., 0, 0], before2[.., .., 0, 0]));
    }

    [TestMethod]
    public void NonFiniteGradientIsRejectedWithoutTouchingTheWeights()
    {
        var linear = nn.Linear(3, 2, hasBias: false);
        var optimizer = new AgdOptimizer(linear);
        using var before = linear.weight!.detach().clone();
        linear.weight.grad = full(2, 3, float.NaN);
        var e = Assert.ThrowsExactly<TrainingDivergedException>(() => optimizer.StepEta());
        StringAssert.Contains(e.Message, "NaN");
        Assert.IsTrue(TensorAssert.Same(linear.weight, before));
    }

    [TestMethod]
    public void InitialisationGivesEverySliceSingularValuesEqualToItsScale()
    {
        torch.manual_seed(5);
        var net = nn.Sequential(nn.Conv2d(3, 8, 3, bias: false), nn.Conv2d(8, 4, 5, bias: false), nn.Flatten(),
            nn.Linear(20, 7, hasBias: false), nn.Linear(7, 30, hasBias: false));
        var optimizer = new AgdOptimizer(net);
        AgdInitialization.Apply(net);

        foreach (var layer in optimizer.Plan.Layers)
        {
            var w = layer.Weight.detach().to(float64);
            double s = Scale(w.shape);
            var slices = w.dim() == 2 ? [w] : KernelSlices(w);
            foreach (var slice in slices)
            {
                var singular = linalg.svdvals(slice).data<double>().ToArray();
                Assert.AreEqual((int)Math.Min(slice.shape[0], slice.shape[1]), singular.Length);
                foreach (double sv in singular)
                    Assert.AreEqual(s, sv, 1e-4, $"{layer.Name}: singular value {sv} != scale {s}");
            }
        }
    }

    [TestMethod]
    public void ABiasMovesByThePublishedRuleWorkedOutByHand()
    {
        // The published step (Frobenius norms). One 2x2 linear layer: L = 1 and s = sqrt(2 / 2) = 1. A loss linear in the parameters makes the gradients
        // g_W = [[3, 0], [0, 4]] (Frobenius norm 5) and g_b = [1, 2]. So G = 5, eta = ln((1 + sqrt(21)) / 2) = 1.02650308...,
        // W moves by eta * g_W / 5 and the bias by eta * g_b / ||g_W||_F = eta * g_b / 5.
        var (linear, optimizer) = TwoByTwoLayerWithLinearLoss(AgdStepNorm.Frobenius);

        Assert.AreEqual(1.0265030834096078, optimizer.StepEta(), 1e-12);
        CollectionAssert.AreEqual(new[] { 0.29469938f, -0.91060123f }, linear.bias!.data<float>().ToArray(), new FloatTolerance(1e-6f));
        CollectionAssert.AreEqual(new[] { 0.38409815f, 2f, 3f, 3.17879753f }, linear.weight.data<float>().ToArray(), new FloatTolerance(1e-6f));
    }

    [TestMethod]
    public void TheSpectralStepWorkedOutByHand()
    {
        // The same layer and loss with the default spectral norm. g_W = [[3, 0], [0, 4]] has singular values 4 and 3:
        // spectral norm 4, Frobenius norm 5. G = s ||g||_F^2 / ||g||_2 = 25 / 4, eta = ln((1 + sqrt(26)) / 2) = 1.1142...;
        // W moves by eta * g_W / 4 (a move of spectral norm eta, where the published step's is eta * 4 / 5), and the bias,
        // as before, by eta * g_b / ||g_W||_F.
        var (linear, optimizer) = TwoByTwoLayerWithLinearLoss(AgdStepNorm.Spectral);
        Assert.AreEqual(AgdStepNorm.Spectral, new AgdOptimizer(linear).Norm, "the default");

        double eta = Math.Log((1 + Math.Sqrt(26)) / 2);
        // The spectral norm is a float32 eigenvalue: exactly 4 with some CPUs' kernels, 4 within an ulp or two with others
        // (an Intel Xeon's gives eta 2.4e-8 away), so eta agrees to float32's precision, not to float64's.
        Assert.AreEqual(eta, optimizer.StepEta(), 1e-6);
        CollectionAssert.AreEqual(new[] { (float)(0.5 - eta / 5), (float)(-0.5 - 2 * eta / 5) }, linear.bias!.data<float>().ToArray(), new FloatTolerance(1e-6f));
        CollectionAssert.AreEqual(new[] { (float)(1 - 3 * eta / 4), 2f, 3f, (float)(4 - eta) }, linear.weight.data<float>().ToArray(), new FloatTolerance(1e-6f));
    }

    // W = [[1, 2], [3, 4]], b = [0.5, -0.5], and the gradients of a loss linear in them: g_W = [[3, 0], [0, 4]], g_b = [1, 2].
    private static (Linear Linear, AgdOptimizer Optimizer) TwoByTwoLayerWithLinearLoss(AgdStepNorm norm)
    {
        var linear = nn.Linear(2, 2, hasBias: true);
        using (no_grad())
        {
            linear.weight!.copy_(tensor(new float[,] { { 1, 2 }, { 3, 4 } }));
            linear.bias!.copy_(tensor(new float[] { 0.5f, -0.5f }));
        }
        var optimizer = new AgdOptimizer(linear) { Norm = norm };
        linear.weight.mul(tensor(new float[,] { { 3, 0 }, { 0, 4 } })).sum().add(linear.bias.mul(tensor(new float[] { 1, 2 })).sum()).backward();
        return (linear, optimizer);
    }

    [TestMethod]
    public void ALargeLayersSpectralNormIsFoundByIterationThatContinuesFromStepToStep()
    {
        // A 300 x 200 gradient with singular values 10, 9.5, 9, 1 and noise below them, wider than the iterated block:
        // its leading values are close, which slows iteration with one direction; a block of 8 finds 10 from random
        // directions, and closer still when the next step continues from the block.
        torch.manual_seed(8);
        var linear = nn.Linear(200, 300, hasBias: false);
        var layers = AgdPlan.Of(linear).Layers;
        var u = linalg.qr(randn(300, 4, dtype: float64)).Q;
        var v = linalg.qr(randn(200, 4, dtype: float64)).Q;
        var gradient = u.mm(diag(tensor(new double[] { 10, 9.5, 9, 1 }))).mm(v.t()) + 0.01 * randn(300, 200, dtype: float64);
        linear.weight!.grad = gradient.to(float32);
        double exact = linalg.matrix_norm(gradient, ord: 2).item<double>();
        double[][] squares = [[gradient.square().sum().item<double>()]];
        using var norms = new SpectralNorms();

        Assert.AreEqual(exact, norms.Of(layers, squares)[0][0], 1e-3 * exact, "from random directions");
        Assert.AreEqual(exact, norms.Of(layers, squares)[0][0], 1e-5 * exact, "continued from the last block");
    }

    [TestMethod]
    public void SlicesNoWiderThanTheBlockAreMeasuredExactly()
    {
        // Convolution slices 6 x 5 and a 3 x 40 matrix: the shorter side fits in the block, so the estimate is the exact
        // largest singular value (float64 SVD), transposed or not.
        torch.manual_seed(9);
        var net = nn.Sequential(nn.Conv2d(5, 6, 3, bias: false), nn.Flatten(), nn.Linear(6, 3, hasBias: false), nn.Linear(3, 40, hasBias: false));
        var layers = AgdPlan.Of(net).Layers;
        foreach (var layer in layers)
            layer.Weight.grad = randn(layer.Weight.shape);
        var squares = layers.Select(l => Slices(l.Weight.grad!).Select(s => s.square().sum().item<float>() * 1.0).ToArray()).ToArray();
        using var norms = new SpectralNorms();
        var estimates = norms.Of(layers, squares);
        for (int k = 0; k < layers.Count; k++)
        {
            var exact = Slices(layers[k].Weight.grad!).Select(s => linalg.matrix_norm(s.to(float64), ord: 2).item<double>()).ToArray();
            CollectionAssert.AreEqual(exact, estimates[k], new DoubleTolerance(1e-5), layers[k].Name);
        }

        static IEnumerable<Tensor> Slices(Tensor g) => g.dim() == 2 ? [g] : KernelSlices(g);
    }

    [TestMethod]
    public void EveryEstimateIsALowerBoundOfTheExactSpectralNormAndNearItOnAGradientWithAGap()
    {
        // New gradients every step, wider than the block: random noise (a flat spectrum) plus, from the third step, a
        // leading direction well above it. ||S^T z|| / ||z|| never exceeds sigma, whatever the block; with a gap it finds sigma
        // within a step.
        torch.manual_seed(10);
        var net = nn.Sequential(nn.Conv2d(24, 16, 3, bias: false), nn.Flatten(), nn.Linear(300, 50, hasBias: false));
        var layers = AgdPlan.Of(net).Layers;
        using var norms = new SpectralNorms();
        // A leading direction that persists across steps, as a layer's does in training: a unit rank-one u v^T times 60, in
        // every kernel position (the noise's sigma is at most about 25).
        var spikes = layers.ToDictionary(l => l, l =>
        {
            var (u, v) = (randn(l.Weight.shape[0], dtype: float64), randn(l.Weight.shape[1], dtype: float64));
            return outer(u / u.norm(), v / v.norm()) * 60;
        });
        for (int step = 0; step < 6; step++)
        {
            foreach (var layer in layers)
            {
                var g = randn(layer.Weight.shape, dtype: float64);
                if (step >= 2)
                    g += g.dim() == 2 ? spikes[layer] : spikes[layer].view(g.shape[0], g.shape[1], 1, 1).expand_as(g);
                layer.Weight.grad = g.to(float32);
            }
            var slices = layers.Select(l => l.Weight.dim() == 2 ? new[] { l.Weight.grad!.to(float64) } : KernelSlices(l.Weight.grad!).Select(t => t.to(float64)).ToArray()).ToList();
            var squares = slices.Select(ls => ls.Select(t => t.square().sum().item<double>()).ToArray()).ToArray();
            var estimates = norms.Of(layers, squares);
            for (int k = 0; k < layers.Count; k++)
                for (int i = 0; i < slices[k].Length; i++)
                {
                    double exact = linalg.matrix_norm(slices[k][i], ord: 2).item<double>();
                    Assert.IsTrue(estimates[k][i] <= exact * (1 + 1e-5), $"step {step}, {layers[k].Name} slice {i}: {estimates[k][i]} > {exact}");
                    if (step >= 3)
                        Assert.AreEqual(exact, estimates[k][i], 0.02 * exact, $"step {step}, {layers[k].Name} slice {i}");
                }
        }
    }

    [TestMethod]
    [DataRow(2)]
    [DataRow(3)]
    public void RanksShareTheSpectralEstimatesOutShapeByShapeAndGetOneProcesssEstimates(int size)
    {
        // Four shapes of slices (a convolution's nine 6 x 2 kernel positions, 96 x 40, 40 x 30, 30 x 4) over three steps of
        // new gradients: each shape is estimated on one rank, from a random start of its own, and one exchange gives every
        // rank one process's estimates (a rank that estimated every shape would sum them to several times too large; one
        // that did not exchange would keep the Frobenius bounds).
        static double[][][] Estimates(AgdCommunicator? communicator)
        {
            using var scope = NewDisposeScope();
            var generator = new Generator(5);
            var network = nn.Sequential(nn.Conv2d(2, 6, 3, padding: 1), nn.Flatten(), nn.Linear(6 * 16, 40), nn.ReLU(), nn.Linear(40, 30), nn.ReLU(), nn.Linear(30, 4));
            var layers = AgdPlan.Of(network).Layers;
            using var share = communicator is null ? null : new Microsoft.ML.Agd.Training.RankShare(communicator, CancellationToken.None);
            using var norms = new SpectralNorms();
            var steps = new List<double[][]>();
            for (int step = 0; step < 3; step++)
            {
                foreach (var layer in layers)
                    layer.Weight.grad = randn(layer.Weight.shape, generator: generator);
                var squares = layers.Select(l => (l.Weight.dim() == 2 ? [l.Weight.grad!] : KernelSlices(l.Weight.grad!)).Select(g => g.to(float64).square().sum().item<double>()).ToArray()).ToArray();
                steps.Add(norms.Of(layers, squares, share));
            }
            return [.. steps];
        }
        var alone = Estimates(null);
        foreach (var ranks in ThreadRanks.Run(size, Estimates))
            for (int step = 0; step < alone.Length; step++)
                for (int k = 0; k < alone[step].Length; k++)
                    CollectionAssert.AreEqual(alone[step][k], ranks[step][k], new DoubleTolerance(1e-6), $"step {step}, layer {k}");
        // Costs as the shapes' (slices x rows x columns): the costliest on rank 0, the next on rank 1, the small ones where work is least.
        CollectionAssert.AreEqual(new[] { 1, 0, 1, 1 }, ShareOfWork.Owners([108, 3840, 1200, 120], 2));
    }

    private sealed class DoubleTolerance(double relative) : System.Collections.IComparer
    {
        public int Compare(object? x, object? y) => Math.Abs((double)x! - (double)y!) <= relative * Math.Abs((double)x!) ? 0 : 1;
    }

    [TestMethod]
    public void AnOutputLayerWithMoreOutputsThanInputsStepsWithScaleOneWorkedOutByHand()
    {
        // One linear layer from 2 to 8 outputs is the network's output layer: s = sqrt(8 / 2) = 2 at initialisation, but
        // its step scale is min(s, 1) = 1. With the published (Frobenius) norm, a loss linear in the weight with a gradient of norm 5 gives L = 1,
        // G = 1 * 5, eta = ln((1 + sqrt(21)) / 2), and W moves by eta * g / 5 (by 2 eta * g / 5 with s = 2).
        var linear = nn.Linear(2, 8, hasBias: false);
        var optimizer = new AgdOptimizer(linear) { Norm = AgdStepNorm.Frobenius };
        var layer = optimizer.Plan.Layers.Single();
        Assert.IsTrue(layer.IsOutput);
        Assert.AreEqual(2, layer.Scale, 1e-12);
        Assert.AreEqual(1, layer.StepScale);
        var gradient = zeros(8, 2);
        gradient[0, 0] = tensor(3f);
        gradient[5, 1] = tensor(4f);
        var start = linear.weight!.detach().clone();
        linear.weight.mul(gradient).sum().backward();

        double eta = Math.Log((1 + Math.Sqrt(21)) / 2);
        Assert.AreEqual(eta, optimizer.StepEta(), 1e-12);
        var expected = (start - gradient * (eta / 5)).data<float>().ToArray();
        CollectionAssert.AreEqual(expected, linear.weight.data<float>().ToArray(), new FloatTolerance(1e-6f));

        // Fewer outputs than inputs (a classifier): the step scale is s itself.
        var classifier = AgdPlan.Of(nn.Linear(8, 2, hasBias: false)).Layers.Single();
        Assert.AreEqual(classifier.Scale, classifier.StepScale);
    }

    [TestMethod]
    public void TheOutputLayerIsTheOneThatComputesTheNetworksOutput()
    {
        static string[] Outputs(nn.Module module) => AgdPlan.Of(module).Layers.Where(l => l.IsOutput).Select(l => l.Name).ToArray();
        CollectionAssert.AreEqual(new[] { "head.weight" }, Outputs(new Gpt(vocabularySize: 50, contextLength: 4, layers: 1, heads: 1, width: 8)));
        CollectionAssert.AreEqual(new[] { "layers.2.weight" }, Outputs(new Fcn(inputSize: 6, width: 5, depth: 3, classes: 4)));
        CollectionAssert.AreEqual(new[] { "classifier.weight" }, Outputs(new PreActResNet(18, classes: 3, inputChannels: 1, baseWidth: 4)));
        CollectionAssert.AreEqual(new[] { "2.weight" }, Outputs(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 9))));
        // A module of the user's own kind hides its forward: no layer is taken for the output.
        CollectionAssert.AreEqual(Array.Empty<string>(), Outputs(new TwoLayers()));
    }

    private sealed class TwoLayers : nn.Module<Tensor, Tensor>
    {
        private readonly Linear first = nn.Linear(3, 4), second = nn.Linear(4, 9);

        public TwoLayers() : base(nameof(TwoLayers)) => RegisterComponents();

        public override Tensor forward(Tensor input) => second.call(first.call(input));
    }

    [TestMethod]
    public void AnEmbeddingMovesRowByRowByTheRuleWorkedOutByHand()
    {
        // A table of 3 tokens of width 4: the map from a one-hot of 3 to 4, so L = 1 and s = sqrt(4 / 3). Each token's
        // vector is a slice with its own norm, as a convolution's kernel positions are. A loss linear in the table gives
        // row gradients [3, 0, 0, 4] (norm 5), zero (a token the batch did not use) and [0, 1, 0, 0] (norm 1): G = s (5 + 1),
        // eta = ln((1 + sqrt(1 + 4 G)) / 2), and each used row moves by s eta times its gradient over its own norm.
        var embedding = nn.Embedding(3, 4);
        var start = new float[,] { { 1, 2, 3, 4 }, { 5, 6, 7, 8 }, { -1, -2, -3, -4 } };
        using (no_grad())
            embedding.weight!.copy_(tensor(start));
        var optimizer = new AgdOptimizer(embedding);
        var gradient = new double[,] { { 3, 0, 0, 4 }, { 0, 0, 0, 0 }, { 0, 1, 0, 0 } };
        embedding.weight!.mul(tensor(gradient).to(float32)).sum().backward();

        double s = Math.Sqrt(4.0 / 3), g = s * (5 + 1), eta = Math.Log((1 + Math.Sqrt(1 + 4 * g)) / 2);
        double[] rowNorms = [5, 0, 1];
        Assert.AreEqual(eta, optimizer.StepEta(), 1e-9);
        var moved = embedding.weight.data<float>().ToArray();
        for (int row = 0; row < 3; row++)
            for (int column = 0; column < 4; column++)
            {
                double step = rowNorms[row] > 0 ? s * eta * gradient[row, column] / rowNorms[row] : 0;
                Assert.AreEqual(start[row, column] - step, moved[row * 4 + column], 1e-5, $"row {row}, column {column}");
            }
    }

    [TestMethod]
    public void InitialisationZeroesBiasesAndSetsNormalisationScalesToOne()
    {
        var linear = nn.Linear(4, 3, hasBias: true);
        var norm = nn.BatchNorm1d(3, affine: true);
        using (no_grad()) { norm.weight!.fill_(5); norm.bias!.fill_(5); }
        AgdInitialization.Apply(nn.Sequential(linear, norm));
        Assert.IsTrue(TensorAssert.Same(linear.bias!, zeros(3)));
        Assert.IsTrue(TensorAssert.Same(norm.weight!, ones(3)));
        Assert.IsTrue(TensorAssert.Same(norm.bias!, zeros(3)));
    }

    [TestMethod]
    public void ParameterThatBelongsToNoLayerIsNamedInTheError()
    {
        var net = nn.Sequential(("norm", nn.BatchNorm1d(4, affine: true)), ("fc", nn.Linear(4, 2)));
        var e = Assert.ThrowsExactly<NotSupportedException>(() => new AgdOptimizer(net));
        StringAssert.Contains(e.Message, "'norm.weight'");
        StringAssert.Contains(e.Message, "belongs to no layer");
    }

    [TestMethod]
    public void LayersFollowParameterOrderAndGroupByModule()
    {
        var net = nn.Sequential(("a", nn.Linear(4, 3)), ("bn", nn.BatchNorm1d(3)), ("b", nn.Linear(3, 2)));
        var optimizer = new AgdOptimizer(net);
        CollectionAssert.AreEqual(new[] { "a.weight", "b.weight" }, optimizer.Plan.Layers.Select(l => l.Name).ToArray());
        CollectionAssert.AreEqual(new[] { "a.bias", "bn.weight", "bn.bias" }, optimizer.Plan.Layers[0].Members.Select(m => m.Name).ToArray());
        Assert.AreEqual(2, optimizer.Plan.Depth);
    }

    [TestMethod]
    public void StepAllocatesNoNativeMemoryThatOutlivesIt()
    {
        torch.manual_seed(6);
        var net = new PreActResNet(18, classes: 3, inputChannels: 1, baseWidth: 4);
        TensorAssert.StepsLeaveNoTensorBehind(net, new AgdOptimizer(net), randn(2, 1, 8, 8));
    }

    private static IEnumerable<Tensor> KernelSlices(Tensor w)
    {
        for (long i = 0; i < w.shape[2]; i++)
            for (long j = 0; j < w.shape[3]; j++)
                yield return w[.., .., i, j];
    }

    // Every parameter a layer of its own: networks without biases or normalisations.
    private static void CheckAgainstReference(nn.Module<Tensor, Tensor> net, Tensor input, int classes, AgdStepNorm norm)
        => CheckAgainstReference(net, input, classes, norm, net.parameters().Select(p => new[] { p }).ToList());

    private static void CheckAgainstReference(nn.Module<Tensor, Tensor> net, Tensor input, int classes, AgdStepNorm norm, IReadOnlyList<Parameter[]> groups)
    {
        var optimizer = new AgdOptimizer(net) { Norm = norm };
        AgdInitialization.Apply(net);
        using (no_grad())
            foreach (var p in net.parameters().Where(p => p.dim() == 1))
                p.add_(randn_like(p) * 0.1); // non-trivial biases and affine parameters
        var labels = randint(classes, input.shape[0]);
        optimizer.zero_grad();
        var loss = nn.functional.cross_entropy(net.call(input), labels);
        loss.backward();

        var reference = groups.Select(g => new Layer(ToFloat64(g[0]), g.Skip(1).Select(ToFloat64).ToList())).ToList();
        double expectedEta = ReferenceAgd.Step(reference, spectral: norm == AgdStepNorm.Spectral);
        double eta = optimizer.StepEta();

        Assert.AreEqual(expectedEta, eta, 1e-6 * Math.Max(1, expectedEta), "eta");
        for (int k = 0; k < groups.Count; k++)
            for (int m = 0; m < groups[k].Length; m++)
            {
                var actual = groups[k][m].detach().to(float64).flatten().data<double>().ToArray();
                var expected = m == 0 ? reference[k].Weight.Value : reference[k].Members[m - 1].Value;
                for (int e = 0; e < actual.Length; e++)
                    Assert.AreEqual(expected[e], actual[e], 2e-6, $"group {k} parameter {m} element {e}");
            }
    }

    private static Tensor64 ToFloat64(Parameter p)
        => new(p.shape, p.detach().to(float64).flatten().data<double>().ToArray(), p.grad!.to(float64).flatten().data<double>().ToArray());
}

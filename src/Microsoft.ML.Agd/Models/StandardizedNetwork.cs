using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Models;

/// <summary>
/// A network that standardizes its own input: each channel becomes (x - mean) / standard deviation, with the training
/// data's statistics kept as buffers (in <c>state_dict()</c>, the saved model and the ONNX export), so prediction takes
/// the raw pixels training took, at any scale. AGD's step follows from a bound that assumes inputs of unit scale, and
/// there is no learning rate to absorb another scale, so the trainer always puts its networks inside one of these.
/// </summary>
internal sealed class StandardizedNetwork : Block
{
    private readonly Tensor mean, deviation;
    private readonly nn.Module<Tensor, Tensor> network;

    /// <summary>Wraps a network with given per-channel statistics.</summary>
    /// <param name="network">The network that reads standardized images [batch, channels, height, width].</param>
    /// <param name="mean">Each channel's mean.</param>
    /// <param name="standardDeviation">Each channel's standard deviation (positive).</param>
    public StandardizedNetwork(nn.Module<Tensor, Tensor> network, IReadOnlyList<double> mean, IReadOnlyList<double> standardDeviation) : base(nameof(StandardizedNetwork))
    {
        ArgumentNullException.ThrowIfNull(network);
        if (mean.Count == 0 || mean.Count != standardDeviation.Count)
            throw new ArgumentException($"Need one mean and one standard deviation per channel; got {mean.Count} and {standardDeviation.Count}.", nameof(standardDeviation));
        if (standardDeviation.Any(s => !(s > 0) || !double.IsFinite(s)) || mean.Any(m => !double.IsFinite(m)))
            throw new ArgumentOutOfRangeException(nameof(standardDeviation), "Means must be finite and standard deviations positive and finite.");
        this.network = network;
        this.mean = tensor(mean.Select(v => (float)v).ToArray());
        deviation = tensor(standardDeviation.Select(v => (float)v).ToArray());
        register_buffer("mean", this.mean);
        register_buffer("deviation", deviation);
        register_module("network", network);
    }

    /// <summary>The network that reads the standardized images.</summary>
    public nn.Module<Tensor, Tensor> Network => network;

    /// <summary>Each channel's mean, as used.</summary>
    public IReadOnlyList<double> Mean => mean.to(float64).data<double>().ToArray();

    /// <summary>Each channel's standard deviation, as used.</summary>
    public IReadOnlyList<double> StandardDeviation => deviation.to(float64).data<double>().ToArray();

    /// <inheritdoc />
    public override T Compute<T>(IBlockOps<T> ops, T input) => ops.Apply(network, ops.Standardize(input, mean, deviation));
}

using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Training;

/// <summary>
/// A batch's first half's gradients, kept while the second half's are computed: their dot product and squared distance
/// measure the gradient noise scale (<see cref="GradientNoiseScale"/>), and their weighted mean is the batch's gradient.
/// </summary>
internal sealed class HalfGradients : IDisposable
{
    private readonly Tensor[] _first;

    /// <summary>Takes the parameters' gradients as the first half's and zeroes them for the second.</summary>
    public HalfGradients(IReadOnlyList<Parameter> parameters)
    {
        _first = parameters.Select(p => p.grad!.clone().DetachFromDisposeScope()).ToArray();
        foreach (var p in parameters)
            p.grad!.zero_();
    }

    /// <summary>The first half's gradients, one per parameter.</summary>
    public IReadOnlyList<Tensor> Tensors => _first;

    /// <summary>g_a . g_b and |g_a - g_b|^2 over all the parameters, with the second half's gradients on the parameters.</summary>
    /// <remarks>
    /// Dot products in the gradients' own precision (BLAS accumulates them blockwise, to about 1e-6 relative for a million
    /// terms), summed over parameters in float64; the distance from the difference itself, so that halves nearly equal
    /// lose nothing to cancellation.
    /// </remarks>
    public (double Dot, double DistanceSquared) Compare(IReadOnlyList<Parameter> parameters)
    {
        using var scope = NewDisposeScope();
        var sums = stack(parameters.Select((p, i) =>
        {
            var (a, b) = (_first[i].reshape(-1), p.grad!.reshape(-1));
            var difference = a.sub(b);
            return stack([a.dot(b), difference.dot(difference)]).to(ScalarType.Float64);
        }).ToArray()).sum(0L).cpu().data<double>().ToArray();
        return (sums[0], sums[1]);
    }

    /// <summary>Leaves on the parameters the batch's gradient, firstShare * g_a + (1 - firstShare) * g_b.</summary>
    public void Combine(IReadOnlyList<Parameter> parameters, double firstShare)
    {
        using Scalar second = (1 - firstShare).ToScalar(), first = firstShare.ToScalar(); // held to the call's end: an implicit Scalar can be finalized during the call
        for (int i = 0; i < parameters.Count; i++)
            parameters[i].grad!.mul_(second).add_(_first[i], first);
    }

    public void Dispose()
    {
        foreach (var g in _first)
            g.Dispose();
    }
}

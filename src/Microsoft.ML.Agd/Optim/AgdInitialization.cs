using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Optim;

/// <summary>
/// AGD's initialisation, on its own: any optimizer can start from it (comparisons give Adam and SGD the same weights).
/// Each weight (each kernel-position slice of a convolution) becomes a random semi-orthogonal matrix times its scale
/// s_k; biases and shifts become zero, normalisation scales one.
/// </summary>
public static class AgdInitialization
{
    /// <summary>Initialises a network's layers (as its <see cref="AgdPlan"/> finds them) in place.</summary>
    /// <param name="network">The network.</param>
    /// <param name="generator">Random source, for reproducible runs; the global one when null.</param>
    /// <exception cref="NotSupportedException">A parameter belongs to no layer or has an unsupported rank; the message names it.</exception>
    public static void Apply(nn.Module network, Generator? generator = null) => Apply(AgdPlan.Of(network), generator);

    /// <summary>Initialises a plan's layers in place.</summary>
    /// <param name="plan">The layers.</param>
    /// <param name="generator">Random source, for reproducible runs; the global one when null.</param>
    internal static void Apply(AgdPlan plan, Generator? generator)
    {
        ArgumentNullException.ThrowIfNull(plan);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        foreach (var layer in plan.Layers)
        {
            var w = layer.Weight;
            if (w.dim() == 2)
                w.copy_(Orthogonal(w.shape[0], w.shape[1], generator));
            else
                for (long i = 0; i < w.shape[2]; i++)
                    for (long j = 0; j < w.shape[3]; j++)
                        w[.., .., i, j].copy_(Orthogonal(w.shape[0], w.shape[1], generator));
            w.mul_(layer.Scale);
            foreach (var (_, p, isScale) in layer.Members)
                p.fill_(isScale ? 1.0 : 0.0);
        }
    }

    // A uniformly random semi-orthogonal matrix, made as torch.nn.init.orthogonal_ makes it (QR of a Gaussian matrix,
    // columns signed by R's diagonal), in float64 and on the CPU so that a seeded generator gives the same weights anywhere.
    private static Tensor Orthogonal(long rows, long columns, Generator? generator)
    {
        bool wide = rows < columns;
        var gaussian = randn([Math.Max(rows, columns), Math.Min(rows, columns)], dtype: float64, generator: generator);
        var (q, r) = linalg.qr(gaussian);
        q = q.mul(r.diagonal().sign());
        return wide ? q.t() : q;
    }
}

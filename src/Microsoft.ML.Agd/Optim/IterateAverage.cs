using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Optim;

/// <summary>
/// The mean of a module's parameters over the steps in the last tenth of a run (tail averaging, as PyTorch's
/// <c>torch.optim.swa_utils.AveragedModel</c> averages them), written into the module when the run ends. AGD has no
/// schedule that shrinks its step as a run ends, so the last weights still carry one batch's noise; their mean over
/// the last steps does not, and takes no scale of its own (docs/research/language-model.md).
/// </summary>
/// <remarks>
/// Call <see cref="Add"/> after every optimizer step and <see cref="CopyTo"/> once at the end. A run's length is counted in
/// steps, or, where the steps differ in size (a batch that grows), in rows: each step then counts its rows. Buffers such as batch
/// norms' running statistics are not averaged: recompute them for the averaged weights.
/// </remarks>
public sealed class IterateAverage : IDisposable
{
    /// <summary>The share of a run's steps whose weights are averaged: the last tenth.</summary>
    public const double TailShare = 0.1;

    private readonly List<TorchSharp.Modules.Parameter> _parameters;
    private readonly long _firstAveragedStep;
    private Tensor[]? _sums;

    /// <summary>Prepares the average of a module's trainable parameters over the last tenth of a run of <paramref name="steps"/> steps (or rows).</summary>
    /// <param name="module">The module being trained.</param>
    /// <param name="steps">How many steps (or rows) the run takes.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="steps"/> is less than 1.</exception>
    public IterateAverage(nn.Module module, long steps)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        _parameters = module.parameters().Where(p => p.requires_grad).ToList();
        _firstAveragedStep = steps - (long)Math.Ceiling(steps * TailShare) + 1;
    }

    /// <summary>Steps (or rows) counted so far.</summary>
    public long Steps { get; private set; }

    /// <summary>How many of them are in the average.</summary>
    public long Averaged { get; private set; }

    /// <summary>Counts one step; from the first step that ends in the last tenth on, adds the parameters as they are now to the average.</summary>
    /// <param name="size">What the step counts for: 1 for a run counted in steps, its rows for one counted in rows.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is less than 1.</exception>
    public void Add(long size = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        Steps += size;
        if (Steps < _firstAveragedStep)
            return;
        using var noGrad = no_grad();
        // Sums in float64: a float32 running mean of hundreds of nearly equal weights would lose their last digits.
        _sums ??= _parameters.Select(p => zeros_like(p, dtype: ScalarType.Float64).DetachFromDisposeScope()).ToArray();
        using var one = 1.ToScalar(); // held to the call's end: an implicit Scalar can be finalized during the call
        for (int i = 0; i < _parameters.Count; i++)
            _sums[i].add_(_parameters[i], one); // promoted in place: no float64 copy of the weights is made
        Averaged++;
    }

    /// <summary>
    /// Writes the average into the module's parameters; returns false, changing nothing, when no step has been averaged
    /// yet (a run stopped before its last tenth keeps its last weights).
    /// </summary>
    public bool CopyTo()
    {
        if (_sums is null)
            return false;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        for (int i = 0; i < _parameters.Count; i++)
            _parameters[i].copy_(_sums[i] / Averaged);
        return true;
    }

    /// <summary>Releases the sums.</summary>
    public void Dispose()
    {
        foreach (var sum in _sums ?? [])
            sum.Dispose();
    }
}

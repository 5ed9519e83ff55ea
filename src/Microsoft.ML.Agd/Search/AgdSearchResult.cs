namespace Microsoft.ML.Agd.Search;

/// <summary>What a search found: the best model, every trial, and what the same search would have cost with a learning-rate grid.</summary>
public sealed class AgdSearchResult
{
    internal AgdSearchResult(AgdImageClassificationTransformer bestModel, IReadOnlyList<AgdTrial> trials, TimeSpan elapsed)
    {
        BestModel = bestModel;
        Trials = trials;
        Elapsed = elapsed;
    }

    /// <summary>The model of the trial with the best validation accuracy, ready to use like any trainer's output.</summary>
    public AgdImageClassificationTransformer BestModel { get; }

    /// <summary>Every trial in the order it ran, failed ones included.</summary>
    public IReadOnlyList<AgdTrial> Trials { get; }

    /// <summary>The trials that finished, best validation accuracy first (ties: the earlier trial first).</summary>
    public IReadOnlyList<AgdTrial> Leaderboard => Trials.Where(t => t.ValidationAccuracy is not null).OrderByDescending(t => t.ValidationAccuracy).ThenBy(t => t.Number).ToList();

    /// <summary>The best trial, whose model <see cref="BestModel"/> is.</summary>
    public AgdTrial Best => Leaderboard[0];

    /// <summary>Wall time of the search.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>Seconds the trials took.</summary>
    public double TrialSeconds => Trials.Sum(t => t.Seconds);

    /// <summary>
    /// What the same trials would have cost with an optimizer that needs its learning rate tuned over a grid of
    /// <paramref name="gridSize"/> values (5 for 1e-5 to 1e-1): every trial run once per value.
    /// </summary>
    public double GridSearchSeconds(int gridSize = 5) => TrialSeconds * gridSize;
}

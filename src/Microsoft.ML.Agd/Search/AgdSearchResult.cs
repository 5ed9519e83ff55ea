namespace Microsoft.ML.Agd.Search;

/// <summary>What a search found: the best model and every trial.</summary>
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
}

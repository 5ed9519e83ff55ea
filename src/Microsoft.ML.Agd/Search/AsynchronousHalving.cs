namespace Microsoft.ML.Agd.Search;

/// <summary>
/// Successive halving across ranks without waiting for a rung to end, as ASHA does (Li et al., "A system for massively
/// parallel hyperparameter tuning", 2020): a rank that finishes a trial promotes one of its configurations as soon as
/// it ranks in the better half of the results its rung has so far, and else starts one it has not tried. Each rank owns
/// the configurations whose index it has modulo the ranks, so a promoted trial continues the model its rank kept. The
/// rule of a rung is <see cref="AgdSearch.Promote"/>'s: families are compared among themselves until they meet after
/// <see cref="AgdSearch.MeetingEpochs"/> epochs, and once every configuration that can reach a rung (and each rung below)
/// has a result there, the better half goes on, rounding up, as in the search of one process.
/// </summary>
/// <param name="configurations">Every rank's configurations, in the same order on every rank.</param>
/// <param name="ranks">How many ranks search.</param>
/// <param name="rank">This rank.</param>
/// <param name="rungEpochs">The epochs of each rung, from rung 0.</param>
/// <param name="meetAt">The epochs from which families are compared with each other.</param>
internal sealed class AsynchronousHalving(IReadOnlyList<AgdConfiguration> configurations, int ranks, int rank, Func<int, double> rungEpochs, int meetAt)
{
    // Every rank's results so far: validation accuracy, or null for a trial that failed.
    private readonly Dictionary<(int Configuration, int Rung), double?> _results = [];
    private readonly HashSet<(int Configuration, int Rung)> _started = [];

    /// <summary>This rank's configurations, by index.</summary>
    public IEnumerable<int> Own => Enumerable.Range(0, configurations.Count).Where(i => OwnerOf(i) == rank);

    /// <summary>The rank that trains a configuration.</summary>
    public int OwnerOf(int configuration) => configuration % ranks;

    /// <summary>Notes a result of any rank's trial.</summary>
    public void Record(int configuration, int rung, double? accuracy) => _results[(configuration, rung)] = accuracy;

    /// <summary>
    /// This rank's next trial: a promotion from the highest rung it can make one (below the most epochs), else a
    /// configuration not yet tried; null when neither remains (the rank trains its best configuration on instead).
    /// </summary>
    public (int Configuration, int Rung)? Next()
    {
        var promotion = Own.Select(i => (Configuration: i, Rung: HighestRung(i)))
            .Where(p => p.Rung >= 0 && rungEpochs(p.Rung + 1) > rungEpochs(p.Rung) && !_started.Contains((p.Configuration, p.Rung + 1)) && Promotable(p.Configuration, p.Rung))
            .OrderByDescending(p => p.Rung).ThenByDescending(p => _results[p]).Select(p => ((int, int)?)(p.Configuration, p.Rung + 1)).FirstOrDefault();
        var next = promotion ?? Own.Where(i => !_started.Contains((i, 0))).Select(i => ((int, int)?)(i, 0)).FirstOrDefault();
        if (next is { } job)
            _started.Add(job);
        return next;
    }

    /// <summary>This rank's configuration to train on to the budget's end, with the highest rung it reached: the one at the highest rung, the more accurate there; null when none has a result.</summary>
    public (int Configuration, int Rung)? Best() => Own.Select(i => (Configuration: i, Rung: HighestRung(i))).Where(p => p.Rung >= 0)
        .OrderByDescending(p => p.Rung).ThenByDescending(p => _results[p]).Select(p => ((int, int)?)p).FirstOrDefault();

    /// <summary>The highest rung at which a configuration has an accuracy (-1: none).</summary>
    private int HighestRung(int configuration) => _results.Where(r => r.Key.Configuration == configuration && r.Value is not null)
        .Select(r => r.Key.Rung).DefaultIfEmpty(-1).Max();

    private bool Promotable(int configuration, int rung)
    {
        double accuracy = _results[(configuration, rung)]!.Value;
        var compared = Compared(rung, configuration);
        var peers = _results.Where(r => r.Key.Rung == rung && compared(r.Key.Configuration) && r.Value is not null).ToList();
        int better = peers.Count(p => p.Value > accuracy || (p.Value == accuracy && p.Key.Configuration < configuration));
        // Complete: this rung and every one below it hold every configuration that can reach them (a failed trial too).
        bool complete = Enumerable.Range(0, rung + 1).All(r =>
        {
            var group = Compared(r, configuration);
            return _results.Keys.Count(k => k.Rung == r && group(k.Configuration)) >= Reach(r, configurations[configuration].Architecture);
        });
        return better < peers.Count / 2 || (complete && better < (peers.Count + 1) / 2);
    }

    // Whom a configuration is compared with at a rung: its family before the families meet, everyone after.
    private Func<int, bool> Compared(int rung, int configuration)
        => rungEpochs(rung) < meetAt ? i => configurations[i].Architecture == configurations[configuration].Architecture : _ => true;

    /// <summary>
    /// How many configurations compared with one of <paramref name="family"/> can reach a rung: every one compared at
    /// rung 0, and at each later rung the better half of those before (rounding up), each family's half where they meet.
    /// </summary>
    private int Reach(int rung, AgdArchitecture family)
    {
        if (rung == 0)
            return rungEpochs(0) >= meetAt ? configurations.Count : configurations.Count(c => c.Architecture == family);
        if (rungEpochs(rung) >= meetAt && rungEpochs(rung - 1) < meetAt)
            return configurations.Select(c => c.Architecture).Distinct().Sum(f => Half(Reach(rung - 1, f)));
        return Half(Reach(rung - 1, family));
    }

    private static int Half(int count) => Math.Max(1, (count + 1) / 2);
}

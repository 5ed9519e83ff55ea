namespace Microsoft.ML.Agd.Optim;

/// <summary>
/// Work shared out among the ranks that step together (<see cref="IStepRanks"/>): each part goes to one rank, which
/// computes it alone, and one exchange gives every rank every part, so a rank does not repeat what another computes.
/// </summary>
internal static class ShareOfWork
{
    /// <summary>
    /// The rank that computes each part: the costliest first, each to the rank with the least work so far (ties to the
    /// earlier part and the lower rank, so every rank finds the same owners).
    /// </summary>
    public static int[] Owners(IReadOnlyList<double> costs, int ranks)
    {
        var owners = new int[costs.Count];
        var work = new double[ranks];
        foreach (int k in Enumerable.Range(0, costs.Count).OrderByDescending(k => costs[k]).ThenBy(k => k))
        {
            int least = Array.IndexOf(work, work.Min());
            owners[k] = least;
            work[least] += costs[k];
        }
        return owners;
    }
}

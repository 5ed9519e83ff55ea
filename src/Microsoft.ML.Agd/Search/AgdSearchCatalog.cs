// In ML.NET's own namespace, as the trainer's catalog extension is (see AgdCatalog).
using Microsoft.ML.Agd.Search;
#pragma warning disable IDE0130
namespace Microsoft.ML;
#pragma warning restore IDE0130

/// <summary>The search's catalog extension: <c>mlContext.MulticlassClassification.Trainers.AgdSearch(options)</c>.</summary>
public static class AgdSearchCatalog
{
    /// <summary>
    /// Searches architecture sizes and batch sizes within a time budget, each trial one AGD run (no learning-rate grid).
    /// </summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="options">The search space, budget and columns.</param>
    public static AgdSearch AgdSearch(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, AgdSearchOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new AgdSearch(options);
    }
}

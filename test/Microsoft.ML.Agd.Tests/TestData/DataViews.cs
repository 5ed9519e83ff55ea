using Microsoft.ML.Data;

namespace Microsoft.ML.Agd.Tests.TestData;

/// <summary>Synthetic rows as ML.NET views, and the row classes predictions are read into.</summary>
internal static class DataViews
{
    /// <summary>Rows as a view whose Features column is a known-size vector.</summary>
    internal static IDataView Load(MLContext ml, IEnumerable<SyntheticImages.VectorRow> rows)
    {
        var list = rows.ToList();
        return LoadLazily(ml, list, list[0].Features.Length);
    }

    /// <summary>
    /// Rows as a view that reads them as its cursors ask (ML.NET's LoadFromEnumerable over them): the view neither counts
    /// nor shuffles, and the rows are not enumerated here.
    /// </summary>
    internal static IDataView LoadLazily(MLContext ml, IEnumerable<SyntheticImages.VectorRow> rows, int size)
    {
        var definition = SchemaDefinition.Create(typeof(SyntheticImages.VectorRow));
        definition[nameof(SyntheticImages.VectorRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, size);
        return ml.Data.LoadFromEnumerable(rows, definition);
    }

    /// <summary>Rows as a view with the label mapped to a key, in class-name order.</summary>
    internal static IDataView Prepare(MLContext ml, IEnumerable<SyntheticImages.VectorRow> rows)
    {
        var data = Load(ml, rows);
        return ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue).Fit(data).Transform(data);
    }
}

/// <summary>A scored row with its label as text.</summary>
public sealed class PredictedRow
{
    public string PredictedLabel { get; set; } = "";
    public float[] Score { get; set; } = [];
}

/// <summary>A scored row with its label as a key.</summary>
public sealed class ScoredRow
{
    public float[] Score { get; set; } = [];
    public uint PredictedLabel { get; set; }
}

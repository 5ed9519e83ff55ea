using Microsoft.ML.Data;

namespace Microsoft.ML.Agd.Data;

/// <summary>
/// Reads labelled images row by row from a cursor: rows with a missing label are skipped, as ML.NET's trainers do, and
/// a NaN or infinite feature is an error that names the column, the row and the fix.
/// </summary>
internal sealed class RowReader : IDisposable
{
    private readonly DataViewRowCursor _cursor;
    private readonly ValueGetter<VBuffer<float>> _getFeatures;
    private readonly ValueGetter<uint> _getLabel;
    private readonly InputColumns _columns;
    private readonly string _role;
    private VBuffer<float> _row;
    private uint _key;

    public RowReader(IDataView data, InputColumns columns, string role)
    {
        var features = data.Schema[columns.Features];
        var label = data.Schema[columns.Label];
        _cursor = data.GetRowCursor([features, label]);
        _getFeatures = _cursor.GetGetter<VBuffer<float>>(features);
        _getLabel = _cursor.GetGetter<uint>(label);
        (_columns, _role) = (columns, role);
    }

    /// <summary>Reads the next labelled row into <paramref name="pixels"/>; false at the end.</summary>
    /// <exception cref="InvalidOperationException">A feature is NaN or infinite.</exception>
    public bool Next(Span<float> pixels, out long label)
    {
        while (_cursor.MoveNext())
        {
            _getLabel(ref _key);
            if (_key == 0)
                continue;
            _getFeatures(ref _row);
            CheckFinite();
            _row.CopyTo(pixels);
            label = _key - 1;
            return true;
        }
        label = -1;
        return false;
    }

    /// <summary>Reads only the next row's label (features are not computed): 0-based, or -1 for a missing one; false at the end.</summary>
    public bool NextLabel(out long label)
    {
        if (!_cursor.MoveNext())
        {
            label = -1;
            return false;
        }
        _getLabel(ref _key);
        label = (long)_key - 1;
        return true;
    }

    /// <summary>The error for a data set with no labelled row.</summary>
    public static InvalidOperationException NoLabelledRows(InputColumns columns, string role)
        => new($"The {role} data has no rows with a label in column '{columns.Label}'; AGD needs at least one labelled image.");

    private void CheckFinite()
    {
        var values = _row.GetValues();
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i]))
                throw new InvalidOperationException(
                    $"Column '{_columns.Features}' of the {_role} data holds {values[i]} in row {_cursor.Position} (value {(_row.IsDense ? i : _row.GetIndices()[i])}); " +
                    "images must be finite numbers. Replace missing values (ReplaceMissingValues) or remove such rows.");
    }

    public void Dispose() => _cursor.Dispose();
}

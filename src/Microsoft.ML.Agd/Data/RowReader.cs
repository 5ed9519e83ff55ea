using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
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

    /// <param name="data">The view.</param>
    /// <param name="columns">Its feature and label columns.</param>
    /// <param name="role">What the data is for, as errors name it.</param>
    /// <param name="shuffle">Where given and the view can shuffle, its shuffling cursor reads in an order drawn from it.</param>
    public RowReader(IDataView data, InputColumns columns, string role, Random? shuffle = null)
    {
        var features = data.Schema[columns.Features];
        var label = data.Schema[columns.Label];
        _cursor = data.GetRowCursor([features, label], shuffle);
        _getFeatures = _cursor.GetGetter<VBuffer<float>>(features);
        _getLabel = _cursor.GetGetter<uint>(label);
        (_columns, _role) = (columns, role);
    }

    /// <summary>Reads the next labelled row into <paramref name="pixels"/>; false at the end.</summary>
    /// <exception cref="InvalidOperationException">A feature is NaN or infinite.</exception>
    public bool Next(Span<float> pixels, out long label)
    {
        if (!NextLabelled(out label))
            return false;
        _row.CopyTo(pixels);
        return true;
    }

    /// <summary>Reads the next labelled row into <paramref name="pixels"/>, where the view's getter can write into it, without a copy; false at the end.</summary>
    /// <exception cref="InvalidOperationException">A feature is NaN or infinite.</exception>
    public bool Next(float[] pixels, out long label)
    {
        // ML.NET's getters write a dense row into the buffer they are given when it is large enough.
        _row = new VBuffer<float>(pixels.Length, pixels);
        if (!NextLabelled(out label))
            return false;
        if (!_row.IsDense || !Unsafe.AreSame(ref MemoryMarshal.GetReference(_row.GetValues()), ref pixels[0]))
            _row.CopyTo(pixels);
        return true;
    }

    /// <summary>Reads only the next row's label (features are not computed): 0-based, or -1 for a missing one; false at the end.</summary>
    public bool NextLabel(out long label)
    {
        if (!MoveNext())
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

    // Moves to the next row with a label and reads its features into _row, checked.
    private bool NextLabelled(out long label)
    {
        while (MoveNext())
        {
            _getLabel(ref _key);
            if (_key == 0)
                continue;
            _getFeatures(ref _row);
            CheckFinite();
            label = _key - 1;
            return true;
        }
        label = -1;
        return false;
    }

    // ML.NET's parallel cursors wrap what the view's source threw in an error of their own ("Splitter/consolidator worker
    // encountered exception while consuming source data"), once per layer of parallelism: the source's error is the one
    // that names the row or file.
    private bool MoveNext()
    {
        try
        {
            return _cursor.MoveNext();
        }
        catch (InvalidOperationException e) when (IsWrapper(e))
        {
            Exception source = e;
            while (IsWrapper(source))
                source = source.InnerException!;
            ExceptionDispatchInfo.Throw(source);
            throw;
        }
    }

    private static bool IsWrapper(Exception e)
        => e is InvalidOperationException { InnerException: not null } && e.Message.StartsWith("Splitter/consolidator", StringComparison.Ordinal);

    private void CheckFinite()
    {
        var values = _row.GetValues();
        if (AllFinite(values))
            return;
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i]))
                throw new InvalidOperationException(
                    $"Column '{_columns.Features}' of the {_role} data holds {values[i]} in row {_cursor.Position} (value {(_row.IsDense ? i : _row.GetIndices()[i])}); " +
                    "images must be finite numbers. Replace missing values (ReplaceMissingValues) or remove such rows.");
    }

    // x - x is 0 for a finite x and NaN for NaN or an infinity, so one vector sum tells whether every value is finite.
    private static bool AllFinite(ReadOnlySpan<float> values)
    {
        var sum = Vector<float>.Zero;
        int i = 0;
        for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var chunk = new Vector<float>(values[i..]);
            sum += chunk - chunk;
        }
        for (; i < values.Length; i++)
            if (!float.IsFinite(values[i]))
                return false;
        return Vector.EqualsAll(sum, Vector<float>.Zero);
    }

    public void Dispose() => _cursor.Dispose();
}

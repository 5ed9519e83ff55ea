using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Agd;

/// <summary>
/// The input data view with the network's outputs added, computed by ONNX Runtime for many rows at a time: ML.NET's
/// ONNX transformer runs the network once per row, which leaves most of a matrix multiply's speed unused. The same ONNX
/// model as the saved chain's, so the scores agree with it to float rounding.
/// </summary>
/// <remarks>
/// A cursor reads the features through a second cursor over the input, a batch ahead of the rows it hands out, so that
/// the input's own columns keep their getters row by row. The network runs only when its outputs are asked for.
/// </remarks>
internal sealed class BatchScoring : IDataView
{
    // A batch holds at most this many floats of features (16 MiB), and at most MaxRows rows.
    private const int MaxBatchFloats = 1 << 22;
    private const int MaxRows = 256;

    private readonly IDataView _input;
    private readonly InferenceSession _session;
    private readonly string _features;
    private readonly int _featureSize, _classes;
    private readonly string[] _outputs;

    public BatchScoring(IDataView input, InferenceSession session, string features, int featureSize, IReadOnlyList<string> outputs, int classes)
    {
        (_input, _session, _features, _featureSize, _classes, _outputs) = (input, session, features, featureSize, classes, outputs.ToArray());
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input.Schema);
        foreach (var output in _outputs)
            builder.AddColumn(output, new VectorDataViewType(NumberDataViewType.Single, classes));
        Schema = builder.ToSchema();
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var needed = columnsNeeded.ToList();
        var inputColumns = needed.Where(c => c.Index < _input.Schema.Count).Select(c => _input.Schema[c.Index]);
        bool scored = needed.Any(c => c.Index >= _input.Schema.Count);
        var ahead = scored ? _input.GetRowCursor([_input.Schema[_features]]) : null;
        return new Cursor(this, _input.GetRowCursor(inputColumns), ahead);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
        => [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly BatchScoring _parent;
        private readonly DataViewRowCursor _rows;
        private readonly DataViewRowCursor? _ahead;
        private readonly ValueGetter<VBuffer<float>>? _featureGetter;
        private readonly float[][] _outputs;
        private readonly float[] _batch;
        private int _batchRows, _inBatch;
        private VBuffer<float> _feature;

        public Cursor(BatchScoring parent, DataViewRowCursor rows, DataViewRowCursor? ahead)
        {
            (_parent, _rows, _ahead) = (parent, rows, ahead);
            _featureGetter = ahead?.GetGetter<VBuffer<float>>(ahead.Schema[parent._features]);
            int batchRows = Math.Clamp(MaxBatchFloats / parent._featureSize, 1, MaxRows);
            _batch = ahead is null ? [] : new float[batchRows * parent._featureSize];
            _outputs = parent._outputs.Select(_ => ahead is null ? Array.Empty<float>() : new float[batchRows * parent._classes]).ToArray();
        }

        public override DataViewSchema Schema => _parent.Schema;

        public override long Position => _rows.Position;

        public override long Batch => _rows.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => _rows.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column)
            => column.Index < _rows.Schema.Count ? _rows.IsColumnActive(_rows.Schema[column.Index]) : _ahead is not null;

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index < _rows.Schema.Count)
                return _rows.GetGetter<TValue>(_rows.Schema[column.Index]);
            if (_ahead is null)
                throw new InvalidOperationException($"Column '{column.Name}' was not asked for when the cursor was made.");
            if (typeof(TValue) != typeof(VBuffer<float>))
                throw new InvalidOperationException($"Column '{column.Name}' holds VBuffer<float>, not {typeof(TValue).Name}.");
            float[] output = _outputs[column.Index - _rows.Schema.Count];
            ValueGetter<VBuffer<float>> getter = (ref VBuffer<float> value) =>
            {
                var editor = VBufferEditor.Create(ref value, _parent._classes);
                output.AsSpan((_inBatch - 1) * _parent._classes, _parent._classes).CopyTo(editor.Values);
                value = editor.Commit();
            };
            return (ValueGetter<TValue>)(object)getter;
        }

        public override bool MoveNext()
        {
            if (!_rows.MoveNext())
                return false;
            if (_ahead is not null && _inBatch == _batchRows)
                ScoreNextBatch();
            _inBatch++;
            return true;
        }

        // Reads the next rows' features and runs the network on all of them at once.
        private void ScoreNextBatch()
        {
            int size = _parent._featureSize, rows = 0;
            while (rows * size < _batch.Length && _ahead!.MoveNext())
            {
                _featureGetter!(ref _feature);
                _feature.CopyTo(_batch.AsSpan(rows++ * size, size));
            }
            var input = new DenseTensor<float>(_batch.AsMemory(0, rows * size), [rows, size]);
            using var results = _parent._session.Run([NamedOnnxValue.CreateFromTensor(_parent._features, input)], _parent._outputs);
            for (int i = 0; i < _outputs.Length; i++)
                ((DenseTensor<float>)results.Single(r => r.Name == _parent._outputs[i]).AsTensor<float>()).Buffer.Span.CopyTo(_outputs[i]);
            (_batchRows, _inBatch) = (rows, 0);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _rows.Dispose();
                _ahead?.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}

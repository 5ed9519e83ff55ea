using Microsoft.ML.Agd.Data;
using Microsoft.ML.Data;

namespace Microsoft.ML.Agd;

/// <summary>
/// A fitted AGD classifier: adds <c>Score</c> and <c>PredictedLabel</c>. It is saved by mlContext.Model.Save as a chain of
/// ML.NET's own transformers (the network as ONNX), so mlContext.Model.Load needs nothing from this library.
/// </summary>
public sealed class AgdImageClassificationTransformer : ITransformer, IDisposable
{
    private readonly ScoringChain _scoring;
    private readonly InputColumns _columns;
    private bool _disposed;

    internal AgdImageClassificationTransformer(AgdModel model, ScoringChain scoring, InputColumns columns)
    {
        Model = model;
        _scoring = scoring;
        _columns = columns;
    }

    /// <summary>The trained network, its classes and its training history.</summary>
    public AgdModel Model { get; }

    /// <inheritdoc />
    public bool IsRowToRowMapper => true;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => _scoring.Chain.GetOutputSchema(Checked(inputSchema));

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => ((ITransformer)_scoring.Chain).GetRowToRowMapper(Checked(inputSchema));

    /// <inheritdoc />
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Checked(input.Schema);
        return _scoring.Transform(input);
    }

    /// <summary>
    /// Frees the network's native memory and deletes the temporary file from which ONNX Runtime scores it; the
    /// transformer cannot be used afterwards. A model saved with mlContext.Model.Save is not affected.
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _scoring.Dispose();
        Model.Network.Dispose();
    }

    /// <inheritdoc />
    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ((ICanSaveModel)_scoring.Chain).Save(ctx);
    }

    // The feature column must have exactly the size the network was trained on; say so before ONNX Runtime would.
    private DataViewSchema Checked(DataViewSchema schema)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(schema);
        _columns.CheckFeatures(schema, Model.ImageShape, needsImageShape: false);
        return schema;
    }
}

using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.Agd;

/// <summary>
/// Turns a trained network into a chain of ML.NET's own transformers, so that mlContext.Model.Save and Load keep it with
/// public API alone: the network runs as an ONNX model; a naive Bayes model, fitted on one one-hot row per class,
/// maps the network's one-hot prediction back to the label's key type and key values (exactly: each class's own
/// one-hot row is the only one it has seen), giving a PredictedLabel that behaves like any ML.NET trainer's. A batch
/// <see cref="Transform"/> runs the same ONNX model on many rows at a time (<see cref="BatchScoring"/>), then the same
/// label map.
/// </summary>
internal sealed class ScoringChain : IDisposable
{
    private const string Prefix = "__Agd_";
    private const string Scores = Prefix + OnnxExport.ScoresOutput;
    private const string OneHotRaw = Prefix + OnnxExport.OneHotOutput;
    private const string KeyValuesKind = "KeyValues";

    private readonly string _onnxFile;
    private readonly AgdModel _model;
    // Made on the first batch Transform: a model that is only saved or used by a PredictionEngine (a search's trials) never needs it.
    private readonly Lazy<InferenceSession> _session;

    private ScoringChain(TransformerChain<ITransformer> chain, string onnxFile, AgdModel model)
    {
        (Chain, _onnxFile, _model) = (chain, onnxFile, model);
        _session = new(() => new InferenceSession(onnxFile));
    }

    /// <summary>The chain of ML.NET's transformers that mlContext.Model.Save writes and that a PredictionEngine runs.</summary>
    public TransformerChain<ITransformer> Chain { get; }

    /// <summary>What the chain gives, with the network run on batches of rows.</summary>
    public IDataView Transform(IDataView input)
    {
        // The chain's first transformer runs the network row by row; the batched view takes its place before the others.
        var afterNetwork = Chain.Skip(1);
        var scored = new BatchScoring(input, _session.Value, _model.FeatureColumnName, checked((int)_model.ImageShape.Size), [Scores, OneHotRaw], _model.ClassNames.Count);
        return afterNetwork.Aggregate((IDataView)scored, (data, transformer) => transformer.Transform(data));
    }

    /// <summary>Frees ONNX Runtime's sessions and deletes the temporary file they read.</summary>
    public void Dispose()
    {
        Chain.Dispose();
        if (_session.IsValueCreated)
            _session.Value.Dispose();
        TemporaryFiles.Delete(_onnxFile);
    }

    /// <summary>
    /// The chain, which reads the network from a temporary file of ours: ML.NET 5.0.1's ApplyOnnxModel(Stream) writes such
    /// a file and never deletes it. <see cref="Dispose"/> deletes ours, and so does the process's end (<see cref="TemporaryFiles"/>).
    /// </summary>
    public static ScoringChain Build(MLContext context, AgdModel model, IDataView trainData, DataViewSchema.Column label)
    {
        string onnxFile = TemporaryFiles.NewPath();
        File.WriteAllBytes(onnxFile, model.ToOnnx(model.FeatureColumnName, Prefix, flatOutputs: true));
        // One row at a time: outputs are flat vectors of the class count, not [1, classes] matrices.
        int classes = model.ClassNames.Count;
        var shapes = new Dictionary<string, int[]> { [Scores] = [classes], [OneHotRaw] = [classes] };
        var network = context.Transforms.ApplyOnnxModel([Scores, OneHotRaw], [model.FeatureColumnName], onnxFile, shapes, gpuDeviceId: null, fallbackToCpu: false)
            .Fit(trainData);
        var labelMap = context.MulticlassClassification.Trainers.NaiveBayes("Label", OneHotRaw)
            .Fit(IdentityRows(context, label, model.ClassNames.Count));
        var scored = labelMap.Transform(network.Transform(trainData));
        var tidy = context.Transforms.Concatenate("Score", Scores)
            .Append(context.Transforms.DropColumns(Scores, OneHotRaw))
            .Fit(scored);
        return new ScoringChain(new TransformerChain<ITransformer>(network, labelMap, tidy), onnxFile, model);
    }

    /// <summary>The label's class names: its key values as text, else the key indices from 0.</summary>
    public static IReadOnlyList<string> ClassNames(DataViewSchema.Column label, int classes)
    {
        return (IReadOnlyList<string>?)WithKeyValueType(label, nameof(KeyValueText))
            ?? Enumerable.Range(0, classes).Select(k => k.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
    }

    // Calls one of our generic helpers with T the item type of the label's key values; null when it has none.
    private static object? WithKeyValueType(DataViewSchema.Column label, string method, params object[] more)
    {
        if (label.Annotations.Schema.GetColumnOrNull(KeyValuesKind) is not { Type: VectorDataViewType type })
            return null;
        var generic = typeof(ScoringChain).GetMethod(method, System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!;
        return generic.MakeGenericMethod(type.ItemType.RawType).Invoke(null, [label, type, .. more]);
    }

    private static IReadOnlyList<string> KeyValueText<T>(DataViewSchema.Column label, DataViewType _)
    {
        VBuffer<T> values = default;
        label.GetKeyValues(ref values);
        return values.DenseValues().Select(v => v?.ToString() ?? "").ToList();
    }

    private sealed class IdentityRow
    {
        public uint Label { get; set; }
        public float[] Features { get; set; } = [];
    }

    // One row per class k: the one-hot vector e_k, with the training label's key type and key values. ML.NET 5.0.1's
    // naive Bayes indexes classes by the raw key value (key k counts for class k, not k - 1), so row k carries the raw
    // value k; PredictedLabelTests checks that the predicted label is the best-scoring class.
    private static IDataView IdentityRows(MLContext context, DataViewSchema.Column label, int classes)
    {
        var definition = SchemaDefinition.Create(typeof(IdentityRow));
        definition[nameof(IdentityRow.Label)].ColumnType = new KeyDataViewType(typeof(uint), classes);
        definition[nameof(IdentityRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, classes);
        definition[nameof(IdentityRow.Features)].ColumnName = OneHotRaw;
        WithKeyValueType(label, nameof(CopyKeyValues), definition[nameof(IdentityRow.Label)]);
        var rows = Enumerable.Range(0, classes).Select(k =>
        {
            var oneHot = new float[classes];
            oneHot[k] = 1;
            return new IdentityRow { Label = (uint)k, Features = oneHot };
        }).ToList();
        return context.Data.LoadFromEnumerable(rows, definition);
    }

    private static object? CopyKeyValues<T>(DataViewSchema.Column label, DataViewType type, SchemaDefinition.Column target)
    {
        VBuffer<T> values = default;
        label.GetKeyValues(ref values);
        target.AddAnnotation(KeyValuesKind, values, type);
        return null;
    }
}

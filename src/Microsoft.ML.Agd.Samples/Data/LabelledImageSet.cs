using Microsoft.ML.Data;

namespace Microsoft.ML.Agd.Samples.Data;

/// <summary>
/// One image as the model reads it: pixels in channel-major order, scaled to [0, 1], and its class name. A lazy row
/// decodes its pixels each time they are read (as an ML.NET cursor reads them), so a set of such rows holds file names
/// or compact bytes, not floats.
/// </summary>
internal sealed class ImageRow
{
    private Func<float[]>? _decode;
    private float[] _features = [];

    /// <summary>A row whose pixels are decoded when read.</summary>
    public static ImageRow Lazy(Func<float[]> decode, string label) => new() { _decode = decode, Label = label };

    /// <summary>channels * height * width floats.</summary>
    public float[] Features
    {
        get => _decode?.Invoke() ?? _features;
        set => (_features, _decode) = (value, null);
    }

    /// <summary>The class name.</summary>
    public string Label { get; set; } = "";
}

/// <summary>A set of labelled images of one shape, with its class names in label order.</summary>
internal sealed record LabelledImageSet(IReadOnlyList<ImageRow> Rows, AgdImageShape Shape, IReadOnlyList<string> ClassNames, string Description)
{
    /// <summary>The rows as an IDataView whose Features column carries the image shape, as ExtractPixels' output does.</summary>
    public IDataView ToDataView(MLContext ml)
    {
        var definition = SchemaDefinition.Create(typeof(ImageRow));
        definition[nameof(ImageRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, Shape.Channels, Shape.Height, Shape.Width);
        return ml.Data.LoadFromEnumerable(Rows, definition);
    }

    /// <summary>A key mapping of the class names in this set's order, so that every split and every model agrees on keys.</summary>
    public ITransformer LabelKeys(MLContext ml)
    {
        var names = ml.Data.LoadFromEnumerable(ClassNames.Select(n => new ImageRow { Label = n }));
        return ml.Transforms.Conversion.MapValueToKey("Label", keyData: ml.Transforms.SelectColumns("Label").Fit(names).Transform(names))
            .Fit(ToDataView(ml));
    }
}

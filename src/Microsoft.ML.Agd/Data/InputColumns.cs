using Microsoft.ML.Data;

namespace Microsoft.ML.Agd.Data;

/// <summary>The trainer's two input columns, checked against a schema with errors that say what is wrong and how to fix it.</summary>
internal sealed record InputColumns(string Features, string Label)
{
    /// <summary>Checks the feature column and returns the image shape: the given one, else the column's own dimensions (as ExtractPixels sets them), else a flat vector.</summary>
    public AgdImageShape CheckFeatures(DataViewSchema schema, AgdImageShape? given, bool needsImageShape)
    {
        var column = Find(schema, Features, "feature");
        if (column.Type is not VectorDataViewType { ItemType: var item, IsKnownSize: true } vector || item != NumberDataViewType.Single)
            throw new ArgumentOutOfRangeException(nameof(schema),
                $"Feature column '{Features}' must be a known-size vector of Single (float); it is {column.Type}. " +
                "Produce it with ExtractPixels, or Concatenate numeric columns and ConvertType to Single.");
        long size = vector.Size;
        if (given is { } shape)
        {
            if (shape.Size != size)
                throw new ArgumentOutOfRangeException(nameof(schema),
                    $"Feature column '{Features}' has {size} values per row, but the image shape {shape} needs {shape.Size}. Set ImageShape to the shape ExtractPixels produces (channels, height, width).");
            return shape;
        }
        if (vector.Dimensions.Length == 3)
            return new AgdImageShape(vector.Dimensions[0], vector.Dimensions[1], vector.Dimensions[2]);
        if (needsImageShape)
            throw new ArgumentException(
                $"A convolutional network needs the image shape, and feature column '{Features}' ({column.Type}) does not carry one. Set Options.ImageShape (channels, height, width).", nameof(given));
        return new AgdImageShape(1, 1, checked((int)size));
    }

    /// <summary>Checks the label column and returns its number of classes.</summary>
    public int CheckLabel(DataViewSchema schema)
    {
        var column = Find(schema, Label, "label");
        if (column.Type is not KeyDataViewType key || key.RawType != typeof(uint))
            throw new ArgumentOutOfRangeException(nameof(schema),
                $"Label column '{Label}' must be a key type of UInt32; it is {column.Type}. Add mlContext.Transforms.Conversion.MapValueToKey(\"{Label}\") before the trainer.");
        if (key.Count < 2)
            throw new ArgumentOutOfRangeException(nameof(schema), $"Label column '{Label}' has {key.Count} class; classification needs at least two.");
        return checked((int)key.Count);
    }

    private static DataViewSchema.Column Find(DataViewSchema schema, string name, string role)
        => schema.GetColumnOrNull(name) is { IsHidden: false } column
            ? column
            : throw new ArgumentOutOfRangeException(nameof(schema),
                $"The data has no {role} column '{name}'. Its columns are: {string.Join(", ", schema.Where(c => !c.IsHidden).Select(c => $"'{c.Name}'"))}.");
}

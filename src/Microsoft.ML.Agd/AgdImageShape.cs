namespace Microsoft.ML.Agd;

/// <summary>The shape of the input images: channels, height and width, in the channel-major order of ML.NET's ExtractPixels.</summary>
/// <param name="Channels">1 for grey, 3 for colour.</param>
/// <param name="Height">Rows of pixels.</param>
/// <param name="Width">Columns of pixels.</param>
public readonly record struct AgdImageShape(int Channels, int Height, int Width)
{
    /// <summary>Number of features one image has: channels * height * width.</summary>
    public long Size => (long)Channels * Height * Width;

    /// <inheritdoc />
    public override string ToString() => $"{Channels}x{Height}x{Width}";
}

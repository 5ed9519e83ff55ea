namespace Microsoft.ML.Agd.Samples;

/// <summary>An action run when disposed: the undoing of a registration, for a <c>using</c>.</summary>
/// <param name="undo">What disposing does.</param>
internal sealed class Disposal(Action undo) : IDisposable
{
    /// <summary>Runs the action.</summary>
    public void Dispose() => undo();
}

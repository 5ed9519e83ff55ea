using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Training;

/// <summary>
/// Rows read but not yet trained on: an epoch reads batches of the size it starts with, and a batch that has grown since
/// is made of several of them.
/// </summary>
internal sealed class PendingRows : IDisposable
{
    private readonly List<(Tensor Images, Tensor Labels)> _parts = [];

    /// <summary>How many rows wait.</summary>
    public long Rows { get; private set; }

    /// <summary>Keeps a copy of a batch (the data's own tensors are refilled after its callback).</summary>
    public void Add(Tensor images, Tensor labels)
    {
        _parts.Add((images.clone().DetachFromDisposeScope(), labels.clone().DetachFromDisposeScope()));
        Rows += images.shape[0];
    }

    /// <summary>Calls <paramref name="body"/> with every waiting row as one batch, when there are any, and forgets them.</summary>
    public void Take(Action<Tensor, Tensor> body)
    {
        if (Rows == 0)
            return;
        using (var scope = NewDisposeScope())
            body(cat(_parts.Select(p => p.Images).ToArray()), cat(_parts.Select(p => p.Labels).ToArray()));
        Dispose();
    }

    /// <summary>Frees the waiting rows.</summary>
    public void Dispose()
    {
        foreach (var (images, labels) in _parts)
        {
            images.Dispose();
            labels.Dispose();
        }
        _parts.Clear();
        Rows = 0;
    }
}

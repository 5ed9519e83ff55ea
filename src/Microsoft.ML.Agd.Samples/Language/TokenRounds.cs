using Microsoft.ML.Agd.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Samples.Language;

/// <summary>
/// A language model's training iterations as the training loop's passes: each pass is the iterations up to the next
/// estimate of the losses (the last may be shorter), each batch random windows of the training tokens, drawn from one
/// <see cref="Random"/> across the run as nanoGPT draws them.
/// </summary>
internal sealed class TokenRounds(TokenBatches data, LanguageModelSettings settings) : IBatches
{
    private readonly Random _random = new(settings.Seed);
    private int _done;

    /// <summary>The passes a run takes.</summary>
    public int Count => (int)(((long)settings.Iterations + settings.EvaluationInterval - 1) / settings.EvaluationInterval); // long: both may be near int's limit

    /// <summary>The rows (windows) the whole run trains on.</summary>
    public long RunRows => (long)settings.Iterations * settings.BatchSize;

    /// <summary>
    /// Calls <paramref name="body"/> with each batch of the next pass (the windows are random: <paramref name="shuffle"/>
    /// is not used).
    /// </summary>
    public void ForEachBatch(int batchSize, Generator? shuffle, Device device, Action<Tensor, Tensor> body, CancellationToken cancellation = default)
    {
        int end = (int)Math.Min(settings.Iterations, (long)_done + settings.EvaluationInterval);
        for (; _done < end && !cancellation.IsCancellationRequested; _done++)
        {
            using var scope = NewDisposeScope();
            var (inputs, targets) = data.Batch(data.Train, data.Starts(data.Train, 1, batchSize, _random).First());
            body(inputs.to(device), targets.to(device));
        }
    }
}

using Microsoft.ML.Agd.Models;
using Microsoft.ML.Agd.Optim;
using Microsoft.ML.Agd.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd;

/// <summary>A network trained with AGD: the network itself, what it was trained on, and how training went.</summary>
public sealed class AgdModel
{
    private readonly StandardizedNetwork _network;

    internal AgdModel(StandardizedNetwork network, AgdArchitecture architecture, AgdImageShape imageShape, IReadOnlyList<string> classNames,
        IReadOnlyList<AgdEpoch> history, int epoch, bool cancelled, string featureColumnName)
    {
        _network = network;
        Architecture = architecture;
        ImageShape = imageShape;
        ClassNames = classNames;
        History = history;
        Epoch = epoch;
        Cancelled = cancelled;
        FeatureColumnName = featureColumnName;
    }

    /// <summary>
    /// The trained TorchSharp network, in evaluation mode on the CPU: it reads raw images [batch, channels, height, width],
    /// at the scale training saw, standardizes them with the training data's statistics, and returns logits.
    /// </summary>
    public nn.Module<Tensor, Tensor> Network => _network;

    /// <summary>What AGD made of the network: its layers, each with its scale and members, and its depth.</summary>
    public AgdPlan Plan => AgdPlan.Of(Network);

    /// <summary>Each input channel's mean over the training data, which the network subtracts.</summary>
    public IReadOnlyList<double> InputMean => _network.Mean;

    /// <summary>Each input channel's standard deviation over the training data (1 for a constant channel), by which the network divides.</summary>
    public IReadOnlyList<double> InputStandardDeviation => _network.StandardDeviation;

    /// <summary>The network family.</summary>
    public AgdArchitecture Architecture { get; }

    /// <summary>The image shape the network reads.</summary>
    public AgdImageShape ImageShape { get; }

    /// <summary>Class names, in the order of the label's keys and of the score vector.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>One entry per completed epoch.</summary>
    public IReadOnlyList<AgdEpoch> History { get; }

    /// <summary>
    /// The epoch whose weights the network holds: the last one, or with <see cref="AgdImageClassificationTrainer.Options.KeepBestEpoch"/>
    /// the one with the best validation accuracy. 0 when training was cancelled before an epoch ended.
    /// </summary>
    public int Epoch { get; }

    /// <summary>
    /// Whether training was cancelled before its last epoch. The epoch that was running is undone: the network holds
    /// the weights of a whole epoch (or the initial ones), and <see cref="History"/> lists whole epochs only.
    /// </summary>
    public bool Cancelled { get; }

    internal string FeatureColumnName { get; }

    /// <summary>
    /// Writes the network as a standalone ONNX model (opset 17). Input "features": [batch, channels * height * width]
    /// floats in channel-major order; outputs "scores": [batch, classes] softmax probabilities and "predicted_label":
    /// [batch] class names.
    /// </summary>
    public void ExportOnnx(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        destination.Write(ToOnnx("features"));
    }

    /// <summary>Writes the network as a standalone ONNX file; see <see cref="ExportOnnx(Stream)"/>.</summary>
    public void ExportOnnx(string path)
    {
        using var file = File.Create(path);
        ExportOnnx(file);
    }

    internal byte[] ToOnnx(string inputName, string outputPrefix = "", bool flatOutputs = false)
        => OnnxExport.Export(Network, ImageShape, ClassNames, inputName, outputPrefix, flatOutputs);
}

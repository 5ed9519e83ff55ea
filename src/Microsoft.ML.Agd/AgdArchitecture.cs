using Microsoft.ML.Agd.Models;
namespace Microsoft.ML.Agd;

/// <summary>The network family the trainer builds.</summary>
public enum AgdArchitecture
{
    /// <summary>The paper's fully connected network (see <see cref="Fcn"/>); sized by depth and width.</summary>
    Fcn,

    /// <summary>Pre-activation ResNet-18 (see <see cref="PreActResNet"/>); sized by base width.</summary>
    ResNet18,

    /// <summary>Pre-activation ResNet-34; sized by base width.</summary>
    ResNet34,

    /// <summary>Pre-activation ResNet-50 (bottleneck blocks); sized by base width.</summary>
    ResNet50,

    /// <summary>Your own network, from <see cref="AgdImageClassificationTrainer.Options.NetworkFactory"/>.</summary>
    Custom,
}

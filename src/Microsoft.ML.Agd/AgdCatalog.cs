// In ML.NET's own namespace, as its trainer extensions (LightGbmExtensions, VisionCatalog) are: `using Microsoft.ML;` finds
// them. Its namespace is not its folder's, as AgdSearchCatalog's is not.
using Microsoft.ML.Agd;
#pragma warning disable IDE0130
namespace Microsoft.ML;
#pragma warning restore IDE0130

/// <summary>Adds the AGD image classification trainer to <c>mlContext.MulticlassClassification.Trainers</c>.</summary>
public static class AgdCatalog
{
    /// <summary>
    /// Trains an image classifier with Automatic Gradient Descent: no learning rate, schedule or momentum to choose.
    /// </summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="labelColumnName">Key-typed label column.</param>
    /// <param name="featureColumnName">Known-size float vector column of pixels (ExtractPixels).</param>
    /// <param name="architecture">Network family; FCN by default.</param>
    /// <param name="numberOfEpochs">Passes over the data.</param>
    /// <param name="batchSize">Rows per step, or null for a batch chosen from the gradient noise measured in training (<see cref="AgdImageClassificationTrainer.Options.BatchSize"/>).</param>
    /// <param name="imageShape">Channels, height and width; read from the feature column when it carries them.</param>
    public static AgdImageClassificationTrainer Agd(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = AgdImageClassificationTrainer.Defaults.LabelColumnName,
        string featureColumnName = AgdImageClassificationTrainer.Defaults.FeatureColumnName,
        AgdArchitecture architecture = AgdImageClassificationTrainer.Defaults.Architecture,
        int numberOfEpochs = AgdImageClassificationTrainer.Defaults.NumberOfEpochs,
        int? batchSize = null,
        AgdImageShape? imageShape = null)
        => catalog.Agd(new AgdImageClassificationTrainer.Options
        {
            LabelColumnName = labelColumnName,
            FeatureColumnName = featureColumnName,
            Architecture = architecture,
            NumberOfEpochs = numberOfEpochs,
            BatchSize = batchSize,
            ImageShape = imageShape,
        });

    /// <summary>Trains an image classifier with Automatic Gradient Descent, with every option given.</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="options">The trainer's options.</param>
    public static AgdImageClassificationTrainer Agd(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        AgdImageClassificationTrainer.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new AgdImageClassificationTrainer(options);
    }
}


namespace Microsoft.ML.Agd;

public sealed partial class AgdImageClassificationTrainer
{
    /// <summary>The trainer's defaults, written once: <see cref="Options"/>, the catalog extension and the command line take them from here.</summary>
    internal static class Defaults
    {
        /// <summary>The label column, as ML.NET's trainers name it.</summary>
        public const string LabelColumnName = "Label";

        /// <summary>The feature column, as ML.NET's trainers name it.</summary>
        public const string FeatureColumnName = "Features";

        /// <summary>The paper's fully connected network.</summary>
        public const AgdArchitecture Architecture = AgdArchitecture.Fcn;

        /// <summary>Linear layers of an FCN.</summary>
        public const int Depth = 3;

        /// <summary>Hidden width of an FCN.</summary>
        public const int Width = 512;

        /// <summary>Channels of a ResNet's first stage: 16 trains well on a CPU (the paper's is 64).</summary>
        public const int BaseWidth = 16;

        /// <summary>Passes over the training data.</summary>
        public const int NumberOfEpochs = 10;

        /// <summary>The paper's square loss.</summary>
        public const AgdLoss Loss = AgdLoss.Square;
    }
}

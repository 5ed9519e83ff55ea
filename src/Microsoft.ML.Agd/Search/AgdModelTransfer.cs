using System.Text.Json;
using Microsoft.ML.Agd.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Search;

/// <summary>
/// A trained model as bytes, for a search across ranks to hand its best model from the rank that trained it to every
/// other: the weights and buffers (statistics included) and the training history. The receiving rank rebuilds the network
/// from the same options (<see cref="AgdImageClassificationTrainer.Receive"/>).
/// </summary>
internal static class AgdModelTransfer
{
    // The history may hold non-finite numbers (a noise scale with no signal).
    private static readonly JsonSerializerOptions s_json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>The model's bytes.</summary>
    public static byte[] Write(AgdModel model)
    {
        using var bytes = new MemoryStream();
        using (var writer = new BinaryWriter(bytes))
        {
            writer.Write(JsonSerializer.Serialize(model.History, s_json));
            writer.Write(model.Epoch);
            writer.Write(model.Cancelled);
            model.Network.save(writer);
        }
        return bytes.ToArray();
    }

    /// <summary>Reads what <see cref="Write"/> wrote.</summary>
    public static Received Read(byte[] message)
    {
        var reader = new BinaryReader(new MemoryStream(message));
        var history = JsonSerializer.Deserialize<List<AgdEpoch>>(reader.ReadString(), s_json)!;
        return new Received(history, reader.ReadInt32(), reader.ReadBoolean(), reader);
    }

    /// <summary>A received model: its history, and its weights, ready to load into a network of the same options.</summary>
    public sealed record Received(IReadOnlyList<AgdEpoch> History, int Epoch, bool Cancelled, BinaryReader Weights)
    {
        /// <summary>Loads the weights and buffers; the network must be the one the options build.</summary>
        public void LoadInto(nn.Module network)
        {
            using (Weights)
                network.load(Weights);
        }
    }
}

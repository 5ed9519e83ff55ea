using Google.Protobuf;
using Onnx;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Onnx;

/// <summary>
/// Builds an ONNX graph (opset 17) node by node: each call adds nodes and returns the name of the value they produce.
/// <see cref="Module"/> writes any module built from TorchSharp's standard layers and from <see cref="Models.Block"/>s.
/// </summary>
internal sealed partial class OnnxGraph
{
    private const int Opset = 17;
    private readonly GraphProto _graph = new() { Name = "agd" };
    private readonly IReadOnlyDictionary<nn.Module, long[]> _inputShapes;
    private readonly bool _dryRun;
    private int _names;

    /// <summary>A graph whose modules read inputs of the traced shapes (for layers whose export depends on their input's size).</summary>
    internal OnnxGraph(IReadOnlyDictionary<nn.Module, long[]> inputShapes, bool dryRun = false) => (_inputShapes, _dryRun) = (inputShapes, dryRun);

    /// <summary>Declares a float graph input; a negative dimension is the batch.</summary>
    public string Input(string name, params long[] dims)
    {
        _graph.Input.Add(Value(name, TensorProto.Types.DataType.Float, dims));
        return name;
    }

    /// <summary>Declares a graph output named <paramref name="name"/> holding <paramref name="value"/>.</summary>
    public void Output(string value, string name, TensorProto.Types.DataType type, params long[] dims)
    {
        Node("Identity", [value], name);
        _graph.Output.Add(Value(name, type, dims));
    }

    /// <summary>Adds a node of an ONNX operator; returns the name of its (first) output.</summary>
    public string Node(string op, string[] inputs, string? output = null, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = Fresh(op) };
        node.Input.AddRange(inputs);
        node.Output.Add(output ??= Fresh(op));
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return output;
    }

    /// <summary>Adds a float constant (a weight) with the tensor's shape and values.</summary>
    public string Floats(Tensor values, string hint = "w")
    {
        var tensor = new TensorProto { Name = Fresh(hint), DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(values.shape);
        if (!_dryRun)
        {
            using var cpu = values.detach().to(float32).cpu().contiguous();
            tensor.RawData = ByteString.CopyFrom(cpu.bytes);
        }
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>Adds a 64-bit integer vector constant (shapes, axes).</summary>
    public string Int64s(params long[] values)
    {
        var tensor = new TensorProto { Name = Fresh("i"), DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.AddRange(values);
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>Adds a string vector constant.</summary>
    public string Strings(IEnumerable<string> values)
    {
        var tensor = new TensorProto { Name = Fresh("s"), DataType = (int)TensorProto.Types.DataType.String };
        tensor.StringData.AddRange(values.Select(ByteString.CopyFromUtf8));
        tensor.Dims.Add(tensor.StringData.Count);
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>x * factor.</summary>
    public string Scale(string x, double factor) => Node("Mul", [x, Floats(tensor((float)factor))]);

    /// <summary>max(x, 0).</summary>
    public string Relu(string x) => Node("Relu", [x]);

    /// <summary>The serialized model.</summary>
    internal byte[] ToBytes(string producerVersion)
    {
        var model = new ModelProto { IrVersion = 8, ProducerName = "Microsoft.ML.Agd", ProducerVersion = producerVersion, Graph = _graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        return model.ToByteArray();
    }

    /// <summary>An integer attribute.</summary>
    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>An integer list attribute.</summary>
    public static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    /// <summary>A float attribute.</summary>
    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    /// <summary>A string attribute.</summary>
    public static AttributeProto String(string name, string value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    private string Fresh(string hint) => $"{hint}_{_names++}";

    private static ValueInfoProto Value(string name, TensorProto.Types.DataType type, long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (long d in dims)
            shape.Dim.Add(d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "batch" } : new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }
}

using Google.Protobuf;
using Onnx;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Onnx;

/// <summary>Builds an ONNX graph node by node: each call adds a node and returns the name of its output.</summary>
internal sealed class OnnxGraph
{
    private const int Opset = 17;
    private readonly GraphProto _graph = new() { Name = "agd" };
    private int _names;

    public string Input(string name, params long[] dims)
    {
        _graph.Input.Add(Value(name, TensorProto.Types.DataType.Float, dims));
        return name;
    }

    public void Output(string value, string name, TensorProto.Types.DataType type, params long[] dims)
    {
        Node("Identity", [value], name);
        _graph.Output.Add(Value(name, type, dims));
    }

    public string Node(string op, string[] inputs, string? output = null, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = Fresh(op) };
        node.Input.AddRange(inputs);
        node.Output.Add(output ??= Fresh(op));
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return output;
    }

    public string Floats(Tensor values, string hint = "w")
    {
        using var cpu = values.detach().to(float32).cpu().contiguous();
        var tensor = new TensorProto { Name = Fresh(hint), DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(cpu.shape);
        tensor.RawData = ByteString.CopyFrom(cpu.bytes);
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    public string Int64s(params long[] values)
    {
        var tensor = new TensorProto { Name = Fresh("i"), DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.AddRange(values);
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    public string Strings(IEnumerable<string> values)
    {
        var tensor = new TensorProto { Name = Fresh("s"), DataType = (int)TensorProto.Types.DataType.String };
        tensor.StringData.AddRange(values.Select(ByteString.CopyFromUtf8));
        tensor.Dims.Add(tensor.StringData.Count);
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    public string Linear(Linear linear, string x)
    {
        var inputs = linear.bias is null ? new[] { x, Floats(linear.weight!) } : [x, Floats(linear.weight!), Floats(linear.bias)];
        return Node("Gemm", inputs, null, Int("transB", 1));
    }

    public string Conv(Conv2d conv, string x)
    {
        var inputs = conv.bias is null ? new[] { x, Floats(conv.weight!) } : [x, Floats(conv.weight!), Floats(conv.bias)];
        long[] kernel = conv.weight!.shape[2..];
        return Node("Conv", inputs, null, Ints("kernel_shape", kernel), Ints("strides", conv.stride), Ints("pads", Pads(conv.padding!)));
    }

    /// <summary>Batch norm as evaluated after training: running statistics, and a unit scale and zero shift when not affine.</summary>
    public string BatchNorm(BatchNorm2d norm, string x)
    {
        var mean = norm.running_mean!;
        string scale = norm.weight is null ? Floats(ones_like(mean)) : Floats(norm.weight);
        string shift = norm.bias is null ? Floats(zeros_like(mean)) : Floats(norm.bias);
        return Node("BatchNormalization", [x, scale, shift, Floats(mean), Floats(norm.running_var!)], null, Float("epsilon", (float)norm.eps));
    }

    public string MaxPool(string x, long kernel, long stride, long padding)
        => Node("MaxPool", [x], null, Ints("kernel_shape", kernel, kernel), Ints("strides", stride, stride), Ints("pads", padding, padding, padding, padding));

    public string Relu(string x) => Node("Relu", [x]);

    public string Scale(string x, double factor) => Node("Mul", [x, Floats(tensor((float)factor))]);

    public byte[] ToBytes(string producerVersion)
    {
        var model = new ModelProto { IrVersion = 8, ProducerName = "Microsoft.ML.Agd", ProducerVersion = producerVersion, Graph = _graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        return model.ToByteArray();
    }

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    private static long[] Pads(long[] padding) => [.. padding, .. padding];

    private string Fresh(string hint) => $"{hint}_{_names++}";

    private static ValueInfoProto Value(string name, TensorProto.Types.DataType type, long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (long d in dims)
            shape.Dim.Add(d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "batch" } : new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }
}

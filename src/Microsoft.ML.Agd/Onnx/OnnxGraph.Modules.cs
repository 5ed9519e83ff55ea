using Microsoft.ML.Agd.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Onnx;

internal sealed partial class OnnxGraph
{
    /// <summary>The modules <see cref="Module"/> writes, for messages.</summary>
    internal const string KnownModules = "Sequential, Linear, Conv2d, BatchNorm1d/2d, LayerNorm, GroupNorm, ReLU, LeakyReLU, GELU, SiLU, Tanh, Sigmoid, " +
                                         "MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Flatten, Dropout, Identity";

    /// <summary>
    /// Writes a module as it computes in evaluation mode: a <see cref="Block"/> as its description says; a Sequential
    /// writes its children in order; TorchSharp's standard layers (<see cref="KnownModules"/>) map to ONNX operators.
    /// </summary>
    /// <param name="module">The module.</param>
    /// <param name="input">The value it reads.</param>
    /// <param name="path">Its name in the network, for messages.</param>
    /// <exception cref="NotSupportedException">The module (or a setting of it) has no ONNX form here; the message names its path.</exception>
    public string Module(nn.Module module, string input, string path = "network") => module switch
    {
        Block block => block.Compute(new OnnxOps(this), input),
        Sequential sequential => sequential.named_children().Aggregate(input, (x, child) => Module(child.module, x, $"{path}.{child.name}")),
        Linear linear => LinearLayer(linear, input),
        Conv2d conv => Convolution(conv, input, path),
        TorchSharp.Modules.BatchNorm norm => Node("BatchNormalization", [input, Affine(norm.weight, norm.running_mean!, 1), Affine(norm.bias, norm.running_mean!, 0),
            Floats(norm.running_mean!), Floats(norm.running_var!)], null, Float("epsilon", (float)norm.eps)),
        LayerNorm norm => Node("LayerNormalization", [input, Affine(norm.weight, null, 1, norm.normalized_shape), Affine(norm.bias, null, 0, norm.normalized_shape)], null,
            Int("axis", -norm.normalized_shape.Length), Float("epsilon", (float)norm.eps)),
        GroupNorm norm => GroupNormalization(norm, input, path),
        ReLU => Relu(input),
        LeakyReLU leaky => Node("LeakyRelu", [input], null, Float("alpha", (float)leaky.negative_slope)),
        GELU gelu => Gelu(input, gelu.approximate.ToString() == "tanh"),
        SiLU => Node("Mul", [input, Node("Sigmoid", [input])]),
        Tanh => Node("Tanh", [input]),
        Sigmoid => Node("Sigmoid", [input]),
        MaxPool2d pool => Node("MaxPool", [input], null, Ints("kernel_shape", pool.kernel_size), Ints("strides", Stride(pool.stride, pool.kernel_size)),
            Ints("pads", Pads(pool.padding ?? [0, 0])), Ints("dilations", pool.dilation is { Length: > 0 } d ? d : [1, 1]), Int("ceil_mode", pool.ceil_mode ? 1 : 0)),
        AvgPool2d pool when pool.divisor_override is null => Node("AveragePool", [input], null, Ints("kernel_shape", pool.kernel_size),
            Ints("strides", Stride(pool.stride, pool.kernel_size)), Ints("pads", Pads(pool.padding ?? [0, 0])), Int("ceil_mode", pool.ceil_mode ? 1 : 0),
            Int("count_include_pad", pool.count_include_pad ? 1 : 0)),
        AdaptiveAvgPool2d pool => AdaptiveAveragePool(pool, input, path),
        Flatten flatten when flatten.end_dim == -1 => Node("Flatten", [input], null, Int("axis", flatten.start_dim)),
        Dropout or Identity => input,
        _ => throw Unsupported(module, path, "it is not one of the layers the export knows"),
    };

    private string LinearLayer(Linear linear, string x)
    {
        string product = Node("MatMul", [x, Floats(linear.weight!.t())]);
        return linear.bias is null ? product : Node("Add", [product, Floats(linear.bias)]);
    }

    private string Convolution(Conv2d conv, string x, string path)
    {
        if (conv.padding_mode != PaddingModes.Zeros)
            throw Unsupported(conv, path, $"its padding mode is {conv.padding_mode}; only zero padding exports");
        var inputs = conv.bias is null ? new[] { x, Floats(conv.weight!) } : [x, Floats(conv.weight!), Floats(conv.bias)];
        var padding = conv.padding is { } explicitPadding ? Ints("pads", Pads(explicitPadding))
            : conv.padding_type == Padding.Same ? String("auto_pad", "SAME_UPPER") : Ints("pads", 0, 0, 0, 0);
        return Node("Conv", inputs, null, Ints("kernel_shape", conv.weight!.shape[2..]), Ints("strides", conv.stride), padding,
            Ints("dilations", conv.dilation), Int("group", conv.groups));
    }

    // A normalisation's scale or shift; without affine parameters, ones or zeros of the statistics' (or the given) shape.
    private string Affine(Tensor? parameter, Tensor? like, double fill, long[]? shape = null)
        => parameter is not null ? Floats(parameter) : Floats(full(shape ?? like!.shape, fill));

    // Opset 17 has no GroupNormalization: instance normalisation over [batch, groups, rest], then the per-channel affine.
    private string GroupNormalization(GroupNorm norm, string x, string path)
    {
        long[] shape = InputShape(norm, path);
        long channels = shape[1];
        var grouped = Node("Reshape", [x, Int64s(0, norm.num_groups, -1)]);
        var normalized = Node("InstanceNormalization", [grouped, Floats(ones(norm.num_groups)), Floats(zeros(norm.num_groups))], null, Float("epsilon", (float)norm.eps));
        var y = Node("Reshape", [normalized, Node("Shape", [x])]);
        long[] perChannel = [channels, .. Enumerable.Repeat(1L, shape.Length - 2)];
        if (norm.weight is not null)
            y = Node("Mul", [y, Floats(norm.weight.view(perChannel))]);
        return norm.bias is null ? y : Node("Add", [y, Floats(norm.bias.view(perChannel))]);
    }

    // 0.5 x (1 + erf(x / sqrt 2)), or the tanh approximation; opset 17 has no Gelu.
    private string Gelu(string x, bool tanhApproximation)
    {
        string inner = tanhApproximation
            ? Node("Tanh", [Scale(Node("Add", [x, Scale(Node("Pow", [x, Floats(tensor(3f))]), 0.044715)]), Math.Sqrt(2 / Math.PI))])
            : Node("Erf", [Scale(x, 1 / Math.Sqrt(2))]);
        return Scale(Node("Mul", [x, Node("Add", [inner, Floats(tensor(1f))])]), 0.5);
    }

    private string AdaptiveAveragePool(AdaptiveAvgPool2d pool, string x, string path)
    {
        long[] output = pool.output_size.Length == 1 ? [pool.output_size[0], pool.output_size[0]] : pool.output_size;
        if (output.All(o => o == 1))
            return Node("GlobalAveragePool", [x]);
        long[] input = InputShape(pool, path)[^2..];
        if (input[0] % output[0] != 0 || input[1] % output[1] != 0)
            throw Unsupported(pool, path, $"it pools {input[0]}x{input[1]} to {output[0]}x{output[1]}, which is not a whole number of pixels per output");
        long[] kernel = [input[0] / output[0], input[1] / output[1]];
        return Node("AveragePool", [x], null, Ints("kernel_shape", kernel), Ints("strides", kernel));
    }

    private long[] InputShape(nn.Module module, string path)
        => _inputShapes.TryGetValue(module, out var shape) ? shape
            : throw Unsupported(module, path, "its input shape is unknown (it did not run when the network was traced)");

    private static long[] Stride(long[]? stride, long[] kernel) => stride is { Length: > 0 } ? stride : kernel;

    private static long[] Pads(long[] padding) => [.. padding, .. padding];

    private static NotSupportedException Unsupported(nn.Module module, string path, string why)
        => new($"Module '{path}' ({module.GetType().Name}) cannot be exported to ONNX: {why}. Build the network from {KnownModules}, " +
               $"or write your own part of the network as a {nameof(Block)}, whose one description gives its forward pass and its export.");
}

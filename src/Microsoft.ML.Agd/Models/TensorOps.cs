using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Models;

/// <summary>A block's description run on tensors: its forward pass.</summary>
internal sealed class TensorOps : IBlockOps<Tensor>
{
    public static readonly TensorOps Instance = new();

    public Tensor Apply(nn.Module module, Tensor x) => module is nn.Module<Tensor, Tensor> layer
        ? layer.call(x)
        : throw new NotSupportedException($"Module {module.GetType().Name} does not map a tensor to a tensor, so a block cannot apply it.");

    public Tensor Relu(Tensor x) => nn.functional.relu(x);

    public Tensor Scale(Tensor x, double factor) => x.mul(factor);

    public Tensor Add(Tensor a, Tensor b) => a.add(b);

    public Tensor Flatten(Tensor x) => x.flatten(1);

    public Tensor GlobalAveragePool(Tensor x) => nn.functional.adaptive_avg_pool2d(x, [1, 1]);

    public Tensor Attention(Tensor query, Tensor key, Tensor value, int heads)
    {
        long batch = query.shape[0], time = query.shape[1], width = query.shape[2];
        Tensor Split(Tensor x) => x.view(batch, time, heads, width / heads).transpose(1, 2);
        var mixed = nn.functional.scaled_dot_product_attention(Split(query), Split(key), Split(value), is_casual: true);
        return mixed.transpose(1, 2).reshape(batch, time, width);
    }

    public Tensor Standardize(Tensor x, Tensor mean, Tensor deviation)
    {
        long[] shape = x.dim() == 4 ? [1, mean.shape[0], 1, 1] : [-1];
        return x.sub(mean.view(shape)).div(deviation.view(shape));
    }
}

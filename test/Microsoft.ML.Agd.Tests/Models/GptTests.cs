using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Agd.Tests.Models;

[TestClass]
public class GptTests
{
    [TestMethod]
    public void AgdReadsAGptLineByLine()
    {
        var gpt = new Gpt(vocabularySize: 11, contextLength: 8, layers: 1, heads: 2, width: 8);
        var optimizer = new AgdOptimizer(gpt);
        // The depth, worked by hand (docs/research/language-model.md). Token and position embeddings (depth 1, power 1 each) add to
        // the stream: depth 1, power 2. The attention branch: norm (power 1), q, k, v (depth 2), attention (adds nothing),
        // output projection: depth 3, power 1; the sum weighs stream : branch as sqrt(2) : 1. The MLP branch: norm, expand
        // (+1), GELU (power 1/2), contract (+1): depth D1 + 2, power 1/2, against the stream's power 3. Then the head (+1).
        double d1 = (Math.Sqrt(2) * 1 + 1 * 3) / (Math.Sqrt(2) + 1);
        double d2 = (Math.Sqrt(3) * d1 + Math.Sqrt(0.5) * (d1 + 2)) / (Math.Sqrt(3) + Math.Sqrt(0.5));
        Assert.AreEqual(d2 + 1, optimizer.Plan.Depth, 1e-12);

        string[] expected =
        [
            FormattableString.Invariant($"AGD layers: 9 in all, L = {d2 + 1:0.####} (branches add to a stream)"),
            // s = sqrt(out / in); an embedding [count, width] maps a one-hot of count entries to the width: sqrt(width / count).
            // The head computes the logits and has more outputs than inputs: it steps with min(s, 1).
            "  1. head.weight [11, 8] s = 1.1726 (output: steps with 1) with finalNorm.weight (scale), finalNorm.bias",
            "  2. tokens.table.weight [11, 8] embedding s = 0.8528",
            "  3. positions.table.weight [8, 8] embedding s = 1",
            "  4. blocks.0.expand.weight [32, 8] s = 2 with blocks.0.mlpNorm.weight (scale), blocks.0.mlpNorm.bias",
            "  5. blocks.0.contract.weight [8, 32] s = 0.5",
            "  6. blocks.0.attention.query.weight [8, 8] s = 1 with blocks.0.attentionNorm.weight (scale), blocks.0.attentionNorm.bias",
            "  7. blocks.0.attention.key.weight [8, 8] s = 1",
            "  8. blocks.0.attention.value.weight [8, 8] s = 1",
            "  9. blocks.0.attention.output.weight [8, 8] s = 1",
        ];
        string[] lines = optimizer.Plan.Describe().Split(Environment.NewLine);
        Assert.AreEqual(expected.Length, lines.Length, optimizer.Plan.Describe());
        for (int i = 0; i < expected.Length; i++)
            Assert.AreEqual(expected[i], lines[i], $"line {i + 1}");
    }

    [TestMethod]
    public void AGptComputesWhatItsPartsComputeByHand()
    {
        const int width = 8, heads = 2, vocabulary = 11, time = 5;
        var gpt = new Gpt(vocabulary, contextLength: 6, layers: 1, heads, width);
        AgdInitialization.Apply(gpt, new Generator(3));
        // Trained LayerNorm scales and shifts are not 1 and 0: give them values so that a wrong one would show.
        using (no_grad())
            foreach (var (name, p) in gpt.named_parameters().Where(p => p.parameter.dim() == 1))
                p.copy_(rand(p.shape, generator: new Generator(7)).add(0.5));
        var tokens = tensor(new long[] { 3, 0, 10, 7, 7, 1, 2, 3, 4, 5 }).view(2, time);
        var logits = gpt.call(tokens);

        // The same computation in float64, written out: embeddings, pre-norm attention with an explicit causal mask, a GELU MLP.
        var p64 = gpt.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().to(float64));
        Tensor Norm(Tensor x, string name)
        {
            var centred = x - x.mean([-1], keepdim: true);
            return centred / (centred.square().mean([-1], keepdim: true) + 1e-5).sqrt() * p64[name + ".weight"] + p64[name + ".bias"];
        }
        Tensor Linear(Tensor x, string name) => x.matmul(p64[name + ".weight"].t());
        var x = p64["tokens.table.weight"].index_select(0, tokens.view(-1)).view(2, time, width) + p64["positions.table.weight"][..time];
        var h = Norm(x, "blocks.0.attentionNorm");
        Tensor Heads(Tensor t) => t.view(2, time, heads, width / heads).transpose(1, 2);
        var (q, k, v) = (Heads(Linear(h, "blocks.0.attention.query")), Heads(Linear(h, "blocks.0.attention.key")), Heads(Linear(h, "blocks.0.attention.value")));
        var scores = q.matmul(k.transpose(-2, -1)) / Math.Sqrt(width / heads);
        scores = scores.masked_fill(ones(time, time, dtype: @bool).triu(1), double.NegativeInfinity);
        var attended = nn.functional.softmax(scores, -1).matmul(v).transpose(1, 2).reshape(2, time, width);
        x = x + Linear(attended, "blocks.0.attention.output");
        var hidden = Linear(Norm(x, "blocks.0.mlpNorm"), "blocks.0.expand");
        hidden = 0.5 * hidden * (1 + special.erf(hidden / Math.Sqrt(2)));
        x = x + Linear(hidden, "blocks.0.contract");
        var expected = Linear(Norm(x, "finalNorm"), "head");

        Assert.IsTrue(CollectionsEqual(new long[] { 2, time, vocabulary }, logits.shape));
        double error = (logits.to(float64) - expected).abs().max().item<double>();
        Assert.IsTrue(error < 1e-4, $"largest difference {error}");
    }

    private static bool CollectionsEqual(long[] a, long[] b) => a.SequenceEqual(b);

    [TestMethod]
    public void TokensOutsideTheVocabularyOrTheContextAreNamed()
    {
        var gpt = new Gpt(vocabularySize: 11, contextLength: 4, layers: 1, heads: 1, width: 4);
        var outside = Assert.ThrowsExactly<ArgumentException>(() => gpt.call(tensor(new long[] { 1, 11 }).view(1, 2)));
        StringAssert.Contains(outside.Message, "outside the vocabulary of 11 (0 to 10): 1 to 11");
        var longer = Assert.ThrowsExactly<ArgumentException>(() => gpt.call(zeros(1, 5, dtype: int64)));
        StringAssert.Contains(longer.Message, "The sequence has 5 tokens but the model's context holds 4");
        var floats = Assert.ThrowsExactly<ArgumentException>(() => gpt.call(zeros(1, 2)));
        StringAssert.Contains(floats.Message, "int64 tensor [batch, time]; got Float32 [1, 2]");
        var heads = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new Gpt(11, 4, layers: 1, heads: 3, width: 8));
        StringAssert.Contains(heads.Message, "The 3 heads must divide the width 8 evenly");
    }

    // A user's own GPT written as nanoGPT writes it: a plain module, no description, layers registered in nanoGPT's order.
    private sealed class UsersGpt : nn.Module<Tensor, Tensor>
    {
        private readonly Embedding wte = nn.Embedding(20, 8), wpe = nn.Embedding(6, 8);
        private readonly LayerNorm ln_1 = nn.LayerNorm(8);
        private readonly Linear c_attn = nn.Linear(8, 24, hasBias: false), c_proj = nn.Linear(8, 8, hasBias: false);
        private readonly LayerNorm ln_f = nn.LayerNorm(8);
        private readonly Linear lm_head = nn.Linear(8, 20, hasBias: false);

        public UsersGpt(bool tied) : base(nameof(UsersGpt))
        {
            if (tied)
                lm_head.weight = wte.weight!;
            RegisterComponents();
        }

        // One block, one head: x + proj(attention(ln_1(x))), then the head on ln_f(x).
        public override Tensor forward(Tensor tokens)
        {
            var x = wte.call(tokens) + wpe.call(arange(tokens.shape[1]));
            var qkv = c_attn.call(ln_1.call(x)).unsqueeze(1).chunk(3, dim: -1);
            x = x + c_proj.call(nn.functional.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], is_casual: true).squeeze(1));
            return lm_head.call(ln_f.call(x));
        }
    }

    [TestMethod]
    public void AUsersTransformerIsReadRightWithoutDeclaringAnything()
    {
        var gpt = new UsersGpt(tied: false);
        Assert.IsTrue(new long[] { 2, 5, 20 }.SequenceEqual(gpt.call(zeros(2, 5, dtype: int64)).shape));
        var optimizer = new AgdOptimizer(gpt);
        var layers = optimizer.Plan.Layers.ToDictionary(l => l.Name);
        // Not a block: its layers count in series, as published, and Describe says how to declare its branches.
        Assert.AreEqual(5.0, optimizer.Plan.Depth);
        string[] lines = optimizer.Plan.Describe().Split(Environment.NewLine);
        Assert.AreEqual("AGD layers: L = 5", lines[0]);
        Assert.AreEqual(AgdPlan.CountedInSeriesNote, lines[^1]);
        StringAssert.StartsWith(lines[^1], "Note: L counts the layers in series, as published: this module is not a Block");
        // Each LayerNorm moves with the layer after it, the one it feeds in a pre-LayerNorm transformer.
        CollectionAssert.AreEqual(new[] { "ln_1.weight", "ln_1.bias" }, layers["c_attn.weight"].Members.Select(m => m.Name).ToArray());
        CollectionAssert.AreEqual(new[] { "ln_f.weight", "ln_f.bias" }, layers["lm_head.weight"].Members.Select(m => m.Name).ToArray());
        Assert.AreEqual(0, layers["wpe.weight"].Members.Count);
        // Embeddings in their true orientation: a one-hot of 20 (or 6) entries to 8.
        Assert.IsTrue(layers["wte.weight"].IsEmbedding);
        Assert.AreEqual(Math.Sqrt(8.0 / 20), layers["wte.weight"].Scale, 1e-12);
        Assert.AreEqual(Math.Sqrt(8.0 / 6), layers["wpe.weight"].Scale, 1e-12);
        Assert.AreEqual(Math.Sqrt(20.0 / 8), layers["lm_head.weight"].Scale, 1e-12);
    }

    [TestMethod]
    public void TiedWeightsAreRefusedWithANamedError()
    {
        var e = Assert.ThrowsExactly<NotSupportedException>(() => new AgdOptimizer(new UsersGpt(tied: true)));
        StringAssert.Contains(e.Message, "Weight 'lm_head.weight' is the same tensor as 'wte.weight' (tied weights");
        StringAssert.Contains(e.Message, "give 'lm_head.weight' a weight of its own");
    }

    [TestMethod]
    public void AnEmbeddingStartsSemiOrthogonalInItsTrueOrientation()
    {
        var gpt = new Gpt(vocabularySize: 5, contextLength: 16, layers: 1, heads: 1, width: 8);
        AgdInitialization.Apply(gpt, new Generator(1));
        // Tokens [5, 8]: a map from 5 to 8, tall, so its 5 columns (the embedding vectors) are orthogonal with norm sqrt(8/5).
        var tokens = gpt.named_parameters().Single(p => p.name == "tokens.table.weight").parameter.detach().to(float64);
        Assert.IsTrue(tokens.matmul(tokens.t()).allclose(eye(5, dtype: float64) * (8.0 / 5), atol: 1e-5));
        // Positions [16, 8]: a map from 16 to 8, wide, so its rows (as a map) are orthonormal times sqrt(8/16).
        var positions = gpt.named_parameters().Single(p => p.name == "positions.table.weight").parameter.detach().to(float64);
        Assert.IsTrue(positions.t().matmul(positions).allclose(eye(8, dtype: float64) * (8.0 / 16), atol: 1e-5));
    }
}

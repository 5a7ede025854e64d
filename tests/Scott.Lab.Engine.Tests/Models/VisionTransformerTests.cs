using Scott.Lab.Tests.Shared;
using Scott.Lab.Abstractions.Models;
using Scott.Lab.Abstractions.Masking;
using Scott.Lab.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Scott.Lab.Engine.Tests.Models;

public class VisionTransformerTests
{
    private const int ImageSize = 16, Channels = 3, Patch = 4, Grid = 4, Tokens = Grid * Grid;

    internal static ModelOptions Options(int width = 32, int depth = 2, int heads = 2, int registers = 0, string ffn = "swiglu") => new()
    {
        ImageSize = ImageSize, Width = width, Depth = depth, Heads = heads, Registers = registers, Ffn = ffn,
        Dropout = 0, AttnDropout = 0, DropPath = 0,
    };

    private static (VisionTransformer Vit, TinyPatchTokenizer Tokenizer) Create(ModelOptions options, int seed = 1)
    {
        manual_seed(seed);
        var tokenizer = new TinyPatchTokenizer(ImageSize, Channels, Patch, options.Width);
        return (new VisionTransformer(tokenizer, options), tokenizer);
    }

    /// <summary>
    /// Re-draws every weight matrix from N(0, 0.1²), so that comparisons of computation paths do not depend on the init
    /// (a constant init would make every channel and head alike and hide layout mistakes).
    /// </summary>
    internal static void Randomize(nn.Module module, int seed)
    {
        var generator = new Generator((ulong)seed);
        using var _ = no_grad();
        foreach (var (name, parameter) in module.named_parameters())
            if (parameter.dim() >= 2 && !name.Contains("mask_token") && !name.Contains("registers"))
                parameter.copy_(randn(parameter.shape, generator: generator) * 0.1);
    }

    private static Tensor Param(nn.Module module, string name) =>
        module.named_parameters().Single(p => p.name == name).parameter;

    private static double MaxAbs(Tensor t) => t.abs().max().item<float>();

    /// <summary>The encoder's input to the first block, recomposed from the parts, independently of VisionTransformer.Embed.</summary>
    private static Tensor ReferenceEmbed(VisionTransformer vit, TinyPatchTokenizer tokenizer, Tensor images, Tensor? keep)
    {
        var tokens = tokenizer.forward(images, keep);
        if (keep is not null)
        {
            var maskToken = Param(vit, "mask_token").expand_as(tokens);
            tokens = where(keep.to_type(ScalarType.Bool).unsqueeze(-1).expand_as(tokens), tokens, maskToken);
        }
        var x = tokens + PositionEmbedding.SinCos2D(vit.EmbedDim, vit.GridHeight, vit.GridWidth).unsqueeze(0);
        if (vit.RegisterCount > 0) x = cat(new[] { Param(vit, "registers").expand(x.shape[0], -1, -1), x }, 1);
        return x;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void Output_is_B_N_D_with_and_without_registers(int registers)
    {
        var (vit, _) = Create(Options(registers: registers));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        vit.eval();
        var keep = new TokenMaskGenerator(Grid, Grid, 0.5, MaskMode.Uniform, 3).Next(2);
        Assert.Equal(new long[] { 2, Tokens, 32 }, vit.forward(randn(2, Channels, ImageSize, ImageSize), null).shape);
        Assert.Equal(new long[] { 2, Tokens, 32 }, vit.forward(randn(2, Channels, ImageSize, ImageSize), keep).shape);
        Assert.Equal(Grid, vit.GridHeight);
        Assert.Equal(32, vit.EmbedDim);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void Forward_equals_mask_token_replacement_plus_positions_then_blocks_then_register_removal(int registers)
    {
        var (vit, tokenizer) = Create(Options(registers: registers));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        vit.eval();
        Randomize(vit, 17);
        // Make the mask token large, so that using anything else (zeros, the tokenizer's output) shows.
        Param(vit, "mask_token").copy_(randn(1, 1, 32) * 3);
        var images = randn(2, Channels, ImageSize, ImageSize);
        var keep = new TokenMaskGenerator(Grid, Grid, 0.6, MaskMode.Blockwise, 5).Next(2);

        var x = ReferenceEmbed(vit, tokenizer, images, keep);
        foreach (var block in vit.Blocks) x = block.forward(x);
        var expected = x[.., registers..];

        Assert.True(MaxAbs(vit.forward(images, keep) - expected) < 1e-5);
    }

    [Fact]
    public void Pixels_inside_masked_patches_do_not_change_the_output_but_visible_ones_do()
    {
        // The test tokenizer ignores the mask, so only the encoder's mask-token replacement can hide masked patches.
        var (vit, _) = Create(Options(depth: 2));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        vit.eval();
        Randomize(vit, 17);
        var keep = new TokenMaskGenerator(Grid, Grid, 0.5, MaskMode.Uniform, 11).Next(2);
        var pixelKeep = keep.reshape(2, 1, Grid, 1, Grid, 1).expand(2, 1, Grid, Patch, Grid, Patch).reshape(2, 1, ImageSize, ImageSize);
        var x1 = randn(2, Channels, ImageSize, ImageSize);
        var x2 = x1 + 5 * randn(2, Channels, ImageSize, ImageSize) * (1 - pixelKeep);
        var x3 = x1 + 5 * randn(2, Channels, ImageSize, ImageSize) * pixelKeep;
        Assert.True(MaxAbs(x2 - x1) > 1);

        var y1 = vit.forward(x1, keep);
        Assert.Equal(0.0, MaxAbs(vit.forward(x2, keep) - y1), 6);
        Assert.True(MaxAbs(vit.forward(x3, keep) - y1) > 1e-3, "changing visible patches must change the output");
        Assert.True(MaxAbs(vit.forward(x2, null) - vit.forward(x1, null)) > 1e-3, "without a mask every patch counts");
    }

    [Fact]
    public void TorchSharp_trunc_normal_is_still_broken_so_WeightInit_is_needed()
    {
        // Pins the TorchSharp 0.107 bug that WeightInit.TruncatedNormal_ works around: nn.init.trunc_normal_
        // fills the tensor with the constant std. When this fails, TorchSharp is fixed and the workaround can go.
        using var broken = torch.empty(10_000);
        nn.init.trunc_normal_(broken, std: 0.02);
        Assert.True(broken.std().item<float>() < 1e-6);

        using var ours = WeightInit.TruncatedNormal_(torch.empty(100_000), 0.02);
        Assert.InRange(ours.std().item<float>(), 0.0195, 0.0205);
        Assert.InRange(ours.mean().item<float>(), -0.0005, 0.0005);
        using var cut = WeightInit.TruncatedNormal_(torch.empty(100_000), 1.0);
        Assert.True(cut.abs().max().item<float>() <= 2.0f);
        // A standard normal truncated at ±2 has std ≈ 0.880.
        Assert.InRange(cut.std().item<float>(), 0.87, 0.89);
    }

    [Fact]
    public void Mask_token_is_tiny_and_has_the_embedding_shape()
    {
        var (vit, _) = Create(Options(width: 64, registers: 4));
        var maskToken = Param(vit, "mask_token");
        Assert.Equal(new long[] { 1, 1, 64 }, maskToken.shape);
        double maskMax = MaxAbs(maskToken);
        Assert.True(maskMax > 0 && maskMax < 1e-5, $"mask token ~ N(0, 1e-6), max |v| = {maskMax}");
        Assert.Equal(new long[] { 1, 4, 64 }, Param(vit, "registers").shape);
        Assert.True(Param(vit, "registers").requires_grad);
    }

    [Fact]
    public void Mask_token_and_registers_are_random_with_the_reference_std()
    {
        var (vit, _) = Create(Options(width: 64, registers: 64));
        double maskStd = Param(vit, "mask_token").std().item<float>();
        Assert.InRange(maskStd, 0.5e-6, 1.5e-6);
        double std = Param(vit, "registers").std().item<float>();
        Assert.InRange(std, 0.018, 0.022);
    }

    [Fact]
    public void Attention_and_ffn_outputs_are_scaled_by_one_over_sqrt_2_layer_id_relative_to_the_other_weights()
    {
        const int depth = 4;
        var (vit, _) = Create(Options(width: 64, depth: depth, heads: 2));
        for (int i = 0; i < depth; i++)
        {
            var block = vit.Blocks[i];
            double rms = Rms(Param(block, "attn.qkv.weight"));
            Assert.Equal(0.02, Rms(Param(block, "ffn.w12.weight")), 0.002);
            Assert.Equal(0.02, rms, 0.002);
            double expected = 1 / Math.Sqrt(2.0 * (i + 1));
            Assert.Equal(expected, Rms(block.Attention.Projection.weight!) / rms, 0.1 * expected);
            Assert.Equal(expected, Rms(block.FfnOutput.weight!) / rms, 0.1 * expected);
        }

        static double Rms(Tensor t) => Math.Sqrt(t.square().mean().item<float>());
    }

    [Fact]
    public void Linear_init_is_trunc_normal_002_with_depth_scaled_outputs()
    {
        const int width = 192, depth = 4;
        var (vit, _) = Create(Options(width: width, depth: depth, heads: 3));
        for (int i = 0; i < depth; i++)
        {
            var block = vit.Blocks[i];
            double scaled = 0.02 / Math.Sqrt(2.0 * (i + 1));
            AssertStd(Param(block, "attn.qkv.weight"), 0.02, $"block {i} qkv");
            AssertStd(Param(block, "ffn.w12.weight"), 0.02, $"block {i} ffn.w12");
            AssertStd(block.Attention.Projection.weight!, scaled, $"block {i} attn.proj");
            AssertStd(block.FfnOutput.weight!, scaled, $"block {i} ffn output");
            Assert.Null(block.Attention.Projection.bias);
        }
        // No Linear anywhere in the blocks has a bias.
        Assert.DoesNotContain(vit.named_parameters(), p => p.name.StartsWith("blocks.") && p.name.EndsWith("bias"));

        static void AssertStd(Tensor weight, double expected, string what)
        {
            double mean = weight.mean().item<float>(), std = weight.std().item<float>();
            Assert.True(Math.Abs(std - expected) < 0.04 * expected, $"{what}: std {std}, expected {expected}");
            Assert.True(Math.Abs(mean) < 0.1 * expected, $"{what}: mean {mean}");
        }
    }

    [Theory]
    [InlineData(384, 1024)]
    [InlineData(192, 512)]
    [InlineData(32, 128)]
    public void SwiGlu_hidden_is_128_times_round_8D_over_3_over_128(int width, int hidden)
    {
        var options = new ModelOptions { Width = width, Heads = 4 };
        Assert.Equal(hidden, options.SwiGluHidden);
        using var block = new TransformerBlock(options, 0);
        Assert.Equal(new long[] { width, hidden }, block.FfnOutput.weight!.shape);
        Assert.Equal(new long[] { 2 * hidden, width }, Param(block, "ffn.w12.weight").shape);
    }

    [Fact]
    public void Mlp_ffn_has_ratio_4_and_no_bias()
    {
        using var block = new TransformerBlock(new ModelOptions { Width = 32, Heads = 2, Ffn = "mlp" }, 0);
        Assert.Equal(new long[] { 32, 128 }, block.FfnOutput.weight!.shape);
        Assert.Equal(new long[] { 128, 32 }, Param(block, "ffn.fc1.weight").shape);
        Assert.DoesNotContain(block.named_parameters(), p => p.name.EndsWith("bias"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void LastBlockAttention_rows_are_distributions_over_patch_tokens(int registers)
    {
        var (vit, tokenizer) = Create(Options(registers: registers, heads: 4));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        vit.eval();
        Randomize(vit, 17);
        var images = randn(2, Channels, ImageSize, ImageSize);
        var weights = vit.LastBlockAttention(images);

        Assert.Equal(new long[] { 2, 4, Tokens, Tokens }, weights.shape);
        Assert.True(MaxAbs(weights.sum(-1) - 1) < 1e-5);
        Assert.True(weights.min().item<float>() >= 0);

        // Same as the last block's explicit attention on its real input, restricted to patch tokens and renormalised.
        var x = ReferenceEmbed(vit, tokenizer, images, null);
        for (int i = 0; i < vit.Blocks.Count - 1; i++) x = vit.Blocks[i].forward(x);
        var full = vit.Blocks[^1].AttentionWeights(x)[.., .., registers.., registers..];
        Assert.True(MaxAbs(weights - full / full.sum(-1, keepdim: true)) < 1e-5);
    }

    [Fact]
    public void Explicit_attention_weights_reproduce_the_fused_attention_output()
    {
        const int width = 32, heads = 4, dh = width / heads;
        var (vit, tokenizer) = Create(Options(width: width, heads: heads, registers: 1));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        vit.eval();
        Randomize(vit, 17);
        var images = randn(2, Channels, ImageSize, ImageSize);
        var x = ReferenceEmbed(vit, tokenizer, images, null);
        for (int i = 0; i < vit.Blocks.Count - 1; i++) x = vit.Blocks[i].forward(x);
        var block = vit.Blocks[^1];
        var attention = block.Attention;
        var normed = nn.functional.layer_norm(x, new long[] { width });
        long b = normed.shape[0], t = normed.shape[1];

        // q, k, v by hand from the qkv weight: (D) -> (3, heads, dh).
        var qkv = normed.matmul(Param(attention, "qkv.weight").t()).view(b, t, 3, heads, dh).permute(2, 0, 3, 1, 4);
        var (q, k, v) = (qkv[0], qkv[1], qkv[2]);
        var byHand = (q.matmul(k.transpose(-2, -1)) / Math.Sqrt(dh)).softmax(-1);
        var weights = block.AttentionWeights(x);
        Assert.True(MaxAbs(weights - byHand) < 1e-6);

        var merged = weights.matmul(v).transpose(1, 2).reshape(b, t, width);
        var explicitOutput = merged.matmul(attention.Projection.weight!.t());
        Assert.True(MaxAbs(explicitOutput - attention.forward(normed)) < 1e-5);
    }

    [Fact]
    public void Block_forward_is_the_reference_post_attention_normalised_block()
    {
        using var block = new TransformerBlock(Options(), 0);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        block.eval();
        Randomize(block, 19);
        var x = randn(2, 5, 32) * 3 + 1;
        long[] shape = { 32 };
        var h = x + block.Attention.forward(nn.functional.layer_norm(x, shape));
        h = nn.functional.layer_norm(h, shape);
        var w12 = Param(block, "ffn.w12.weight");
        var ab = h.matmul(w12.t()).chunk(2, -1);
        var expected = h + (nn.functional.silu(ab[0]) * ab[1]).matmul(block.FfnOutput.weight!.t());
        Assert.True(MaxAbs(block.forward(x) - expected) < 1e-5);
        // No affine parameters in any LayerNorm: the only parameters are the four Linear weights.
        Assert.Equal(4, block.parameters().Count());
    }
}

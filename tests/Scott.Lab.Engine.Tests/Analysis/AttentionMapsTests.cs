using Scott.Lab.Engine.Analysis;
using Scott.Lab.Engine.Models;
using Scott.Lab.Engine.Tests.Models;
using Scott.Lab.Tests.Shared;
using TorchSharp;
using static TorchSharp.torch;

namespace Scott.Lab.Engine.Tests.Analysis;

public class AttentionMapsTests
{
    private const int ImageSize = 16, Channels = 3, Patch = 4, Grid = 4, Tokens = Grid * Grid, Width = 32, Heads = 4;

    private static (VisionTransformer Vit, TinyPatchTokenizer Tokenizer) Create(int registers)
    {
        manual_seed(5);
        var options = VisionTransformerTests.Options(width: Width, heads: Heads, registers: registers);
        var tokenizer = new TinyPatchTokenizer(ImageSize, Channels, Patch, Width);
        var vit = new VisionTransformer(tokenizer, options);
        VisionTransformerTests.Randomize(vit, 23);
        vit.eval();
        return (vit, tokenizer);
    }

    private static Tensor Param(nn.Module module, string name) => module.named_parameters().Single(p => p.name == name).parameter;

    private static double MaxAbs(Tensor t) => t.abs().max().item<float>();

    /// <summary>The input of the last block, recomposed by hand: tokens + positions, registers first, then the blocks before it.</summary>
    private static Tensor LastBlockInput(VisionTransformer vit, TinyPatchTokenizer tokenizer, Tensor images)
    {
        var x = tokenizer.forward(images, null) + PositionEmbedding.SinCos2D(Width, Grid, Grid).unsqueeze(0);
        if (vit.RegisterCount > 0) x = cat(new[] { Param(vit, "registers").expand(x.shape[0], -1, -1), x }, 1);
        for (int i = 0; i < vit.Blocks.Count - 1; i++) x = vit.Blocks[i].forward(x);
        return x;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void Explicit_attention_times_v_through_the_projection_is_the_fused_attention_output(int registers)
    {
        var (vit, tokenizer) = Create(registers);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var images = randn(2, Channels, ImageSize, ImageSize);
        var x = LastBlockInput(vit, tokenizer, images);
        var block = vit.Blocks[^1];
        var weights = block.AttentionWeights(x);
        long b = x.shape[0], t = x.shape[1];
        Assert.Equal(new long[] { b, Heads, Tokens + registers, Tokens + registers }, weights.shape);
        Assert.True(MaxAbs(weights.sum(-1) - 1) < 1e-5);

        // V from the block's own qkv weight (the third D rows), on the block's normalised input.
        var normed = nn.functional.layer_norm(x, new long[] { Width });
        var v = normed.matmul(Param(block.Attention, "qkv.weight").t()).view(b, t, 3, Heads, Width / Heads).permute(2, 0, 3, 1, 4)[2];
        var merged = weights.matmul(v).transpose(1, 2).reshape(b, t, Width);
        var explicitOutput = merged.matmul(block.Attention.Projection.weight!.t());
        Assert.True(MaxAbs(explicitOutput - block.Attention.forward(normed)) < 1e-5);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void Maps_are_over_patch_tokens_with_rows_summing_to_one(int registers)
    {
        var (vit, tokenizer) = Create(registers);
        using var scope = NewDisposeScope();
        var images = randn(3, Channels, ImageSize, ImageSize);
        using var maps = AttentionMaps.Compute(vit, images);
        Assert.Equal(new long[] { 3, Heads, Tokens, Tokens }, maps.Weights.shape);
        Assert.True(MaxAbs(maps.Weights.sum(-1) - 1) < 1e-5);
        Assert.True(maps.Weights.min().item<float>() >= 0);

        // Registers' rows and columns dropped, each 'from' row renormalised over the patch tokens.
        using (no_grad())
        {
            var full = vit.Blocks[^1].AttentionWeights(LastBlockInput(vit, tokenizer, images))[.., .., registers.., registers..];
            Assert.True(MaxAbs(maps.Weights - full / full.sum(-1, keepdim: true)) < 1e-5);
        }

        var received = maps.Received();
        Assert.Equal(new long[] { 3, Grid, Grid }, received.shape);
        Assert.True(MaxAbs(received.sum(new long[] { 1, 2 }) - 1) < 1e-5); // a mean of distributions is one
        Assert.True(MaxAbs(received - maps.Weights.mean(new long[] { 1 }).mean(new long[] { 1 }).reshape(3, Grid, Grid)) < 1e-6);
        var head1 = maps.Received(1);
        Assert.True(MaxAbs(head1 - maps.Weights[.., 1].mean(new long[] { 1 }).reshape(3, Grid, Grid)) < 1e-6);

        var from = maps.From(5, 2);
        Assert.True(MaxAbs(from - maps.Weights[.., 2, 5].reshape(3, Grid, Grid)) < 1e-7);
        Assert.True(MaxAbs(maps.From(5).sum(new long[] { 1, 2 }) - 1) < 1e-5);
        Assert.Throws<ArgumentOutOfRangeException>(() => maps.From(Tokens));
        Assert.Throws<ArgumentOutOfRangeException>(() => maps.Received(Heads));
    }

    [Fact]
    public void Heat_maps_are_bytes_scaled_per_image()
    {
        using var scope = NewDisposeScope();
        var values = stack(new[] { arange(16, dtype: ScalarType.Float32).reshape(4, 4), full(4, 4, 0.5f) }, 0);
        var heat = AttentionMaps.HeatMap(values);
        Assert.Equal(new long[] { 2, 4, 4, 3 }, heat.shape);
        Assert.Equal(ScalarType.Byte, heat.dtype);
        // Viridis ends: the smallest value is dark purple, the largest yellow; a constant map is the low end.
        Assert.Equal(new byte[] { 68, 1, 84 }, heat[0, 0, 0].data<byte>().ToArray());
        Assert.Equal(new byte[] { 253, 231, 37 }, heat[0, 3, 3].data<byte>().ToArray());
        Assert.Equal(new byte[] { 68, 1, 84 }, heat[1, 2, 2].data<byte>().ToArray());
    }
}

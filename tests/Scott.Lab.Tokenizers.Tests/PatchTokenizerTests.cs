using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Tokenizers.Patch;
using static TorchSharp.torch;

namespace Scott.Lab.Tokenizers.Tests;

public class PatchTokenizerTests
{
    private static PatchTokenizerModule Create(int imageSize, int channels, int embedDim, int patchSize) =>
        (PatchTokenizerModule)new PatchTokenizerPlugin().Create(
            new PatchOptions { PatchSize = patchSize }, new TokenizerContext(imageSize, channels, embedDim));

    [Fact]
    public void Weight_is_xavier_uniform_over_the_flattened_patch_and_bias_is_zero()
    {
        using var module = Create(224, 3, 192, 16);
        var weight = module.Projection.weight!;
        Assert.Equal(new long[] { 192, 3, 16, 16 }, weight.shape);
        // Fans of the (D, C·P·P) view: 768 in, 192 out. The 4-D conv fans would give a bound ~7× smaller.
        double bound = Math.Sqrt(6.0 / (768 + 192));
        Assert.True(weight.abs().max().item<float>() <= bound);
        Assert.InRange(weight.std().item<float>(), 0.95 * bound / Math.Sqrt(3), 1.05 * bound / Math.Sqrt(3));
        Assert.Equal(0, TokenizerFactory.MaxAbs(module.Projection.bias!));
    }

    [Fact]
    public void Masked_tokens_stay_zero_after_the_bias_has_been_trained()
    {
        // At init the bias is 0, which would hide a missing output mask.
        using var module = Create(28, 1, 16, 4);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        module.Projection.bias!.fill_(0.5);
        var keep = TokenizerFactory.RandomKeepMask(2, 7, seed: 5);
        var tokens = module.forward(randn(2, 1, 28, 28), keep);
        Assert.Equal(0, TokenizerFactory.MaxAbs(tokens * (1 - keep).unsqueeze(-1)));
    }

    [Fact]
    public void Flops_match_a_hand_count()
    {
        // 2·C·P·P·D·N = 2·1·4·4·16·49.
        using (var small = Create(28, 1, 16, 4))
            Assert.Equal(25_088, small.ForwardFlopsPerImage);
        // 2·3·16·16·192·196.
        using (var reference = Create(224, 3, 192, 16))
            Assert.Equal(57_802_752, reference.ForwardFlopsPerImage);
    }

    [Fact]
    public void Image_size_not_divisible_by_the_patch_size_is_rejected()
    {
        var error = Assert.Throws<ArgumentException>(() => Create(30, 1, 16, 16));
        Assert.Contains("30", error.Message);
        Assert.Contains("PatchSize = 16", error.Message);
        Assert.Contains("32", error.Message);
    }

    [Fact]
    public void Out_of_range_patch_size_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => Create(64, 1, 16, 64));
    }
}

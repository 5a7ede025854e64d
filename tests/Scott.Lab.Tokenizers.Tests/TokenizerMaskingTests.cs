using static TorchSharp.torch;

namespace Scott.Lab.Tokenizers.Tests;

/// <summary>The contract's core promise: outputs never depend on pixels inside masked tokens' patches.</summary>
public class TokenizerMaskingTests
{
    private const int Batch = 2;

    [Theory]
    [MemberData(nameof(TokenizerFactory.Configs), MemberType = typeof(TokenizerFactory))]
    public void Noise_in_masked_patches_changes_no_output_token(string id, int imageSize, int channels, int setting, int gridSide)
    {
        using var module = TokenizerFactory.Create(id, imageSize, channels, setting);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var keep = TokenizerFactory.RandomKeepMask(Batch, gridSide, seed: imageSize + setting);
        var images = randn(Batch, channels, imageSize, imageSize);
        var hidden = 1 - TokenizerFactory.PixelMask(keep, gridSide, imageSize);
        var noisy = images + 10 * randn(Batch, channels, imageSize, imageSize) * hidden;
        Assert.True(TokenizerFactory.MaxAbs(noisy - images) > 1, "the noise must actually change masked pixels");

        var clean = module.forward(images, keep);
        var perturbed = module.forward(noisy, keep);

        Assert.True(TokenizerFactory.MaxAbs(clean - perturbed) <= 1e-6);
    }

    [Theory]
    [MemberData(nameof(TokenizerFactory.Configs), MemberType = typeof(TokenizerFactory))]
    public void Masked_tokens_are_zero_and_visible_ones_are_not(string id, int imageSize, int channels, int setting, int gridSide)
    {
        using var module = TokenizerFactory.Create(id, imageSize, channels, setting);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var keep = TokenizerFactory.RandomKeepMask(Batch, gridSide, seed: 7 * imageSize + setting);
        var tokens = module.forward(randn(Batch, channels, imageSize, imageSize), keep);

        Assert.Equal(0, TokenizerFactory.MaxAbs(tokens * (1 - keep).unsqueeze(-1)));
        // Row norms of visible tokens: all must be non-zero.
        var visibleNorms = tokens.norm(dim: -1).masked_select(keep.to_type(ScalarType.Bool));
        Assert.True(visibleNorms.min().item<float>() > 0);
    }

    [Theory]
    [MemberData(nameof(TokenizerFactory.Configs), MemberType = typeof(TokenizerFactory))]
    public void Noise_in_a_visible_patch_changes_that_token(string id, int imageSize, int channels, int setting, int gridSide)
    {
        using var module = TokenizerFactory.Create(id, imageSize, channels, setting);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var keep = TokenizerFactory.RandomKeepMask(Batch, gridSide, seed: 3 * imageSize + setting);
        int token = (int)keep[0].nonzero()[0, 0].item<long>();
        var onlyThatToken = zeros_like(keep);
        onlyThatToken[0, token] = tensor(1f);
        var region = TokenizerFactory.PixelMask(onlyThatToken, gridSide, imageSize);
        var images = randn(Batch, channels, imageSize, imageSize);
        var noisy = images + 10 * randn(Batch, channels, imageSize, imageSize) * region;

        var clean = module.forward(images, keep);
        var perturbed = module.forward(noisy, keep);

        Assert.True(TokenizerFactory.MaxAbs(clean[0, token] - perturbed[0, token]) > 1e-4);
        Assert.Equal(0, TokenizerFactory.MaxAbs(clean[1] - perturbed[1]));
    }

    [Theory]
    [MemberData(nameof(TokenizerFactory.Configs), MemberType = typeof(TokenizerFactory))]
    public void Null_mask_means_all_visible_and_bool_masks_work(string id, int imageSize, int channels, int setting, int gridSide)
    {
        using var module = TokenizerFactory.Create(id, imageSize, channels, setting);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var images = randn(Batch, channels, imageSize, imageSize);
        Assert.Equal(0, TokenizerFactory.MaxAbs(module.forward(images, null) - module.forward(images, ones(Batch, gridSide * gridSide))));

        var keep = TokenizerFactory.RandomKeepMask(Batch, gridSide, seed: 11);
        Assert.Equal(0, TokenizerFactory.MaxAbs(module.forward(images, keep) - module.forward(images, keep.to_type(ScalarType.Bool))));
    }

    [Theory]
    [InlineData("scott", 28, 1, 1)]
    [InlineData("patch", 28, 1, 4)]
    public void Wrongly_shaped_mask_is_rejected(string id, int imageSize, int channels, int setting)
    {
        using var module = TokenizerFactory.Create(id, imageSize, channels, setting);
        using var scope = NewDisposeScope();
        var error = Assert.Throws<ArgumentException>(() => module.forward(randn(2, channels, imageSize, imageSize), ones(2, 48)));
        Assert.Contains("49", error.Message);
    }
}

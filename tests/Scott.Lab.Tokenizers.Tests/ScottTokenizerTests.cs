using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Tokenizers.Scott;
using static TorchSharp.torch;

namespace Scott.Lab.Tokenizers.Tests;

public class ScottTokenizerTests
{
    private static ScottTokenizerModule Create(int imageSize, int channels, int embedDim, ScottOptions options) =>
        (ScottTokenizerModule)new ScottTokenizerPlugin().Create(options, new TokenizerContext(imageSize, channels, embedDim));

    [Theory]
    [InlineData(224, 2, new[] { 112, 111, 56, 28, 27, 14 })]
    [InlineData(28, 1, new[] { 14, 13, 7 })]
    public void Intermediate_sizes_are_conv_max_blur_per_stage(int imageSize, int stages, int[] expected)
    {
        using var module = Create(imageSize, 3, 16, new ScottOptions { Stages = stages, HiddenChannels = 8 });
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var sizes = new List<int>();
        var x = randn(1, 3, imageSize, imageSize);
        foreach (var stage in module.Stages)
        {
            var h = stage.Conv.forward(x);
            sizes.Add((int)h.shape[2]);
            sizes.Add((int)stage.Pool.Max.forward(h).shape[2]);
            x = stage.Pool.forward(h);
            sizes.Add((int)x.shape[2]);
        }
        Assert.Equal(expected, sizes);
    }

    [Theory]
    [InlineData(224, 3, 2)]
    [InlineData(28, 1, 1)]
    public void Forward_masks_the_image_and_every_conv_and_pool_output(int imageSize, int channels, int stages)
    {
        using var module = Create(imageSize, channels, 16, new ScottOptions { Stages = stages, HiddenChannels = 8 });
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        int grid = module.GridHeight;
        var keep = TokenizerFactory.RandomKeepMask(2, grid, seed: 42);
        var images = randn(2, channels, imageSize, imageSize);

        // Reference built from the public layers and the test's own block-expanded masks.
        Tensor Masked(Tensor t) => t * TokenizerFactory.PixelMask(keep, grid, (int)t.shape[2]);
        var x = Masked(images);
        foreach (var stage in module.Stages)
            x = Masked(stage.Pool.forward(nn.functional.relu(Masked(stage.Conv.forward(x)))));
        var expected = x.flatten(2).transpose(1, 2);

        Assert.True(TokenizerFactory.MaxAbs(module.forward(images, keep) - expected) <= 1e-6);
    }

    [Fact]
    public void Channels_go_in_to_hidden_to_embed_dim()
    {
        using var module = Create(128, 3, 16, new ScottOptions { Stages = 3, HiddenChannels = 8, KernelSize = 3 });
        var shapes = module.parameters().Select(p => p.shape).ToList();
        Assert.Equal(new long[] { 8, 3, 3, 3 }, shapes[0]);
        Assert.Equal(new long[] { 8, 8, 3, 3 }, shapes[1]);
        Assert.Equal(new long[] { 16, 8, 3, 3 }, shapes[2]);
    }

    [Fact]
    public void Single_stage_maps_input_channels_straight_to_embed_dim()
    {
        using var module = Create(28, 1, 16, new ScottOptions { Stages = 1, KernelSize = 5 });
        var weight = Assert.Single(module.parameters());
        Assert.Equal(new long[] { 16, 1, 5, 5 }, weight.shape);
    }

    [Fact]
    public void Only_bias_free_conv_weights_are_trained_and_the_blur_is_a_fixed_buffer()
    {
        using var module = Create(224, 3, 16, new ScottOptions { Stages = 2, HiddenChannels = 8 });
        var parameters = module.named_parameters().ToList();
        Assert.Equal(2, parameters.Count);
        Assert.All(parameters, p =>
        {
            Assert.EndsWith("conv.weight", p.name);
            Assert.Equal(4, p.parameter.dim());
        });
        Assert.All(module.Stages, s => Assert.Null(s.Conv.bias));

        var expected = tensor(new float[] { 1, 2, 1, 2, 4, 2, 1, 2, 1 }).reshape(3, 3) / 16;
        var blurs = module.named_buffers().Where(b => b.name.Contains("blur")).ToList();
        Assert.Equal(2, blurs.Count);
        Assert.All(blurs, b =>
        {
            Assert.False(b.buffer.requires_grad);
            Assert.Equal(1, b.buffer.shape[1]);
            Assert.Equal(0, TokenizerFactory.MaxAbs(b.buffer - expected));
        });
        Assert.Equal(new long[] { 8, 1, 3, 3 }, module.Stages[0].Pool.BlurKernel.shape);
        Assert.Equal(new long[] { 16, 1, 3, 3 }, module.Stages[1].Pool.BlurKernel.shape);
    }

    [Fact]
    public void Conv_weights_are_kaiming_normal_fan_in()
    {
        using var module = Create(224, 3, 16, new ScottOptions());
        var weights = module.parameters().ToList();
        // std = sqrt(2 / fan_in); fan_in = Cin·k·k.
        AssertNormal(weights[0], Math.Sqrt(2.0 / (3 * 49)));
        AssertNormal(weights[1], Math.Sqrt(2.0 / (64 * 49)));
    }

    private static void AssertNormal(Tensor weight, double std)
    {
        Assert.InRange(weight.std().item<float>(), 0.95 * std, 1.05 * std);
        Assert.InRange(weight.mean().item<float>(), -0.05 * std, 0.05 * std);
    }

    [Fact]
    public void Flops_match_a_hand_count()
    {
        // 28 px, 1 → 16 channels, k = 7: conv 2·49·1·16·14·14 = 307 328, blur 2·9·16·7·7 = 14 112.
        using (var single = Create(28, 1, 16, new ScottOptions { Stages = 1 }))
            Assert.Equal(321_440, single.ForwardFlopsPerImage);

        // 32 px, 1 → 8 → 16 channels, k = 3: conv 36 864 (16×16) + blur 9 216 (8×8) + conv 36 864 (4×4) + blur 1 152 (2×2).
        using (var twoStages = Create(32, 1, 16, new ScottOptions { Stages = 2, HiddenChannels = 8, KernelSize = 3 }))
            Assert.Equal(84_096, twoStages.ForwardFlopsPerImage);
    }

    [Fact]
    public void Image_size_not_divisible_by_4_to_the_stages_is_rejected_with_sizes_that_work()
    {
        var plugin = new ScottTokenizerPlugin();
        var error = Assert.Throws<ArgumentException>(() =>
            plugin.Create(new ScottOptions { Stages = 1 }, new TokenizerContext(30, 1, 16)));
        Assert.Contains("30", error.Message);
        Assert.Contains("Stages = 1", error.Message);
        Assert.Contains("28", error.Message);
        Assert.Contains("32", error.Message);
    }

    [Fact]
    public void Grid_smaller_than_2x2_is_rejected()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            new ScottTokenizerPlugin().Create(new ScottOptions { Stages = 2 }, new TokenizerContext(16, 1, 16)));
        Assert.Contains("16", error.Message);
        Assert.Contains("1×1", error.Message);
    }

    [Theory]
    [InlineData(0, 7, 64)]
    [InlineData(4, 7, 64)]
    [InlineData(2, 6, 64)]
    [InlineData(2, 11, 64)]
    [InlineData(2, 7, 4)]
    public void Out_of_range_options_are_rejected(int stages, int kernelSize, int hidden)
    {
        var options = new ScottOptions { Stages = stages, KernelSize = kernelSize, HiddenChannels = hidden };
        Assert.Throws<ArgumentException>(() => new ScottTokenizerPlugin().Create(options, new TokenizerContext(224, 3, 16)));
    }
}

using Scott.Lab.Abstractions.Masking;
using Scott.Lab.Abstractions.Models;
using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Tokenizers.Patch;
using Scott.Lab.Tokenizers.Scott;
using TorchSharp;
using static TorchSharp.torch;

namespace Scott.Lab.Tokenizers.Tests;

/// <summary>Small configurations shared by the tokenizer tests, and helpers written independently of the plugin code.</summary>
internal static class TokenizerFactory
{
    public const int EmbedDim = 16;

    /// <summary>
    /// (id, image size, channels, Stages for scott / PatchSize for patch, expected grid side).
    /// SCOTT uses HiddenChannels = 8 and D = 16 so that even 224 px stays fast.
    /// </summary>
    public static TheoryData<string, int, int, int, int> Configs => new()
    {
        { "scott", 224, 3, 2, 14 },
        { "scott", 28, 1, 1, 7 },
        { "scott", 32, 3, 1, 8 },
        { "scott", 64, 3, 2, 4 },
        { "scott", 64, 3, 1, 16 },
        { "patch", 224, 3, 16, 14 },
        { "patch", 28, 1, 4, 7 },
    };

    public static TokenizerModule Create(string id, int imageSize, int channels, int setting) => id switch
    {
        "scott" => new ScottTokenizerPlugin().Create(
            new ScottOptions { Stages = setting, HiddenChannels = 8 }, new TokenizerContext(imageSize, channels, EmbedDim)),
        "patch" => new PatchTokenizerPlugin().Create(
            new PatchOptions { PatchSize = setting }, new TokenizerContext(imageSize, channels, EmbedDim)),
        _ => throw new ArgumentOutOfRangeException(nameof(id), id, null),
    };

    /// <summary>A float keep-mask (B, N) with half the tokens visible, different per sample.</summary>
    public static Tensor RandomKeepMask(int batch, int gridSide, int seed) =>
        new TokenMaskGenerator(gridSide, gridSide, 0.5, MaskMode.Uniform, seed).Next(batch);

    /// <summary>(B, N) token mask to (B, 1, H, W) pixel mask, by block expansion rather than interpolation.</summary>
    public static Tensor PixelMask(Tensor keepMask, int gridSide, int imageSize)
    {
        long batch = keepMask.shape[0];
        int p = imageSize / gridSide;
        return keepMask.reshape(batch, 1, gridSide, 1, gridSide, 1)
            .expand(batch, 1, gridSide, p, gridSide, p)
            .reshape(batch, 1, imageSize, imageSize);
    }

    public static double MaxAbs(Tensor t) => t.abs().max().item<float>();
}

using static TorchSharp.torch;

namespace Scott.Lab.Tokenizers.Tests;

public class TokenizerShapeTests
{
    [Theory]
    [MemberData(nameof(TokenizerFactory.Configs), MemberType = typeof(TokenizerFactory))]
    public void Output_is_batch_by_grid_by_embed_dim(string id, int imageSize, int channels, int setting, int gridSide)
    {
        using var module = TokenizerFactory.Create(id, imageSize, channels, setting);
        Assert.Equal(gridSide, module.GridHeight);
        Assert.Equal(gridSide, module.GridWidth);
        Assert.Equal(gridSide * gridSide, module.NumTokens);
        Assert.Equal(TokenizerFactory.EmbedDim, module.EmbedDim);

        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var tokens = module.forward(randn(2, channels, imageSize, imageSize), null);
        Assert.Equal(new long[] { 2, gridSide * gridSide, TokenizerFactory.EmbedDim }, tokens.shape);
    }

    [Theory]
    [MemberData(nameof(TokenizerFactory.Configs), MemberType = typeof(TokenizerFactory))]
    public void Tokens_are_flattened_row_major(string id, int imageSize, int channels, int setting, int gridSide)
    {
        using var module = TokenizerFactory.Create(id, imageSize, channels, setting);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        // Keep only the token in row 0, column 1: row-major order puts it at index 1, column-major at gridSide.
        var keep = zeros(1, gridSide * gridSide);
        keep[0, 1] = tensor(1f);
        var tokens = module.forward(randn(1, channels, imageSize, imageSize), keep);
        Assert.True(TokenizerFactory.MaxAbs(tokens[0, 1]) > 0);
        Assert.Equal(0, TokenizerFactory.MaxAbs(tokens[0, gridSide]));
    }
}

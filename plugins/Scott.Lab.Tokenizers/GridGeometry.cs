using Scott.Lab.Abstractions.Plugins;

namespace Scott.Lab.Tokenizers;

/// <summary>Checks shared by the tokenizers: the image must tile into a grid of at least 2×2 tokens.</summary>
internal static class GridGeometry
{
    public const int MinGrid = 2;

    /// <summary>
    /// Returns the grid side for <paramref name="imageSize"/> pixels and <paramref name="pixelsPerToken"/> pixels per token.
    /// <paramref name="setting"/> names the option that fixed that factor (e.g. "4^Stages, Stages = 2") and
    /// <paramref name="hint"/> may suggest another setting, so the message tells the user what to change.
    /// </summary>
    public static int GridSide(int imageSize, int pixelsPerToken, string setting, string hint = "")
    {
        int smallest = MinGrid * pixelsPerToken;
        if (imageSize % pixelsPerToken != 0)
        {
            int below = imageSize / pixelsPerToken * pixelsPerToken, above = below + pixelsPerToken;
            string sizes = below >= smallest ? $"{below} or {above}" : $"{Math.Max(above, smallest)}";
            throw new ArgumentException(
                $"Image size {imageSize} is not divisible by {pixelsPerToken} ({setting}). " +
                $"Sizes that would work: {sizes} (any multiple of {pixelsPerToken} from {smallest}).{hint}",
                nameof(TokenizerContext.ImageSize));
        }
        int side = imageSize / pixelsPerToken;
        if (side < MinGrid)
            throw new ArgumentException(
                $"Image size {imageSize} with {pixelsPerToken} pixels per token ({setting}) gives a {side}×{side} token grid; " +
                $"at least {MinGrid}×{MinGrid} is needed. Sizes that would work: any multiple of {pixelsPerToken} from {smallest}.{hint}",
                nameof(TokenizerContext.ImageSize));
        return side;
    }

    public static void CheckChannels(TokenizerContext context)
    {
        if (context.InChannels < 1)
            throw new ArgumentException($"InChannels must be at least 1, got {context.InChannels}.", nameof(context));
        if (context.EmbedDim < 1)
            throw new ArgumentException($"EmbedDim must be at least 1, got {context.EmbedDim}.", nameof(context));
    }

    /// <summary>Output side of a convolution or pooling window.</summary>
    public static int ConvOutput(int size, int kernel, int stride, int padding) => (size + 2 * padding - kernel) / stride + 1;
}

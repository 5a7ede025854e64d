using TorchSharp;
using static TorchSharp.torch;

namespace Scott.Lab.Tokenizers;

/// <summary>The keep-mask (B, N), 1 = visible, as a (B, 1, gh, gw) float map that can be scaled to any layer.</summary>
internal static class KeepMask
{
    /// <summary>Null stays null (everything visible). Any dtype is accepted and converted to the images' dtype and device.</summary>
    public static Tensor? ToGrid(Tensor? keepMask, Tensor images, int gridHeight, int gridWidth)
    {
        if (keepMask is null) return null;
        long batch = images.shape[0], tokens = (long)gridHeight * gridWidth;
        if (keepMask.dim() != 2 || keepMask.shape[0] != batch || keepMask.shape[1] != tokens)
            throw new ArgumentException(
                $"Keep-mask must have shape ({batch}, {tokens}), got ({string.Join(", ", keepMask.shape)}).", nameof(keepMask));
        return keepMask.to(images.device).to_type(images.dtype).reshape(batch, 1, gridHeight, gridWidth);
    }

    /// <summary>Zeroes <paramref name="x"/> (B, C, H, W) wherever the nearest-upsampled mask is 0.</summary>
    public static Tensor Apply(Tensor x, Tensor? gridMask)
    {
        if (gridMask is null) return x;
        var scaled = nn.functional.interpolate(gridMask, size: new[] { x.shape[2], x.shape[3] }, mode: InterpolationMode.Nearest);
        return x * scaled.to_type(x.dtype); // 0 and 1 are exact in any float dtype (bf16 in mixed precision)
    }
}

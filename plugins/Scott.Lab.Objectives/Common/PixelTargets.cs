using Scott.Lab.Abstractions.Objectives;
using static TorchSharp.torch;

namespace Scott.Lab.Objectives.Common;

/// <summary>Pixel-reconstruction targets and losses (MAE, SimMIM): the image cut into the token grid's patches.</summary>
public static class PixelTargets
{
    /// <summary>Side in pixels of one token's patch; the image must divide evenly into the grid.</summary>
    public static int PatchSize(Tensor images, int gridHeight, int gridWidth)
    {
        long height = images.shape[2], width = images.shape[3];
        if (height % gridHeight != 0 || width % gridWidth != 0 || height / gridHeight != width / gridWidth)
            throw new ArgumentException(
                $"pixel targets need square patches: a {height}×{width} image does not split evenly into the tokenizer's {gridHeight}×{gridWidth} grid; choose model.image_size as a multiple of the grid.");
        return (int)(height / gridHeight);
    }

    /// <summary>Values per patch, C·p·p, from the run's image size and channels: the width of a pixel head.</summary>
    public static int ValuesPerPatch(ObjectiveContext context, int gridHeight, int gridWidth, string objective)
    {
        if (context.ImageSize <= 0 || context.InChannels <= 0)
            throw new ArgumentException($"{objective} predicts pixels and needs the image size and channels; the host passed ImageSize={context.ImageSize}, InChannels={context.InChannels}.");
        if (context.ImageSize % gridHeight != 0 || context.ImageSize % gridWidth != 0 || gridHeight != gridWidth)
            throw new ArgumentException(
                $"{objective} needs square patches: model.image_size {context.ImageSize} does not split evenly into the tokenizer's {gridHeight}×{gridWidth} grid; choose an image size that is a multiple of the grid.");
        int p = context.ImageSize / gridHeight;
        return context.InChannels * p * p;
    }

    /// <summary>(B, C, gh·p, gw·p) → (B, gh·gw, C·p·p), patches in the tokens' row-major order.</summary>
    public static Tensor Patchify(Tensor images, int gridHeight, int gridWidth)
    {
        int p = PatchSize(images, gridHeight, gridWidth);
        long batch = images.shape[0], channels = images.shape[1];
        return images.reshape(batch, channels, gridHeight, p, gridWidth, p)
            .permute(0, 2, 4, 1, 3, 5)
            .reshape(batch, (long)gridHeight * gridWidth, channels * p * p);
    }

    /// <summary>MAE's normalised-pixel target: each patch minus its mean, divided by its std (over its C·p·p values).</summary>
    public static Tensor NormalizePerPatch(Tensor patches, double epsilon = 1e-6)
    {
        var mean = patches.mean(new long[] { -1 }, keepdim: true);
        var variance = patches.var(-1, unbiased: false, keepdim: true);
        return (patches - mean) / (variance + epsilon).sqrt();
    }

    /// <summary>
    /// Per-patch error (mean over the patch's values, squared or absolute) averaged over the masked patches only
    /// (keep-mask 0); visible patches do not count, whatever is predicted there.
    /// </summary>
    public static Tensor MaskedLoss(Tensor predicted, Tensor target, Tensor keepMask, bool absolute)
    {
        var difference = predicted - target;
        var perPatch = (absolute ? difference.abs() : difference.pow(2)).mean(new long[] { -1 }); // (B, N)
        var masked = 1 - keepMask.to(perPatch.dtype);
        return (perPatch * masked).sum() / masked.sum().clamp_min(1);
    }
}

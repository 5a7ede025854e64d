using Scott.Lab.Abstractions.Objectives;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Scott.Lab.Engine.Data;

/// <summary>The part of a padded batch slot an image fills: its top-left Height × Width pixels.</summary>
public readonly record struct ImageExtent(int Height, int Width);

/// <summary>
/// Batched view augmentation on tensors. Geometry: RandomResizedCrop (bicubic) and horizontal flip, per sample,
/// shared across views when the objective asks for it. Colour, per view and
/// sample: with probability color_p, colour jitter (p=jitter_p), grayscale (p=gray_p), Gaussian blur (p=blur_p).
/// Then normalisation. Samples that skip an op get its identity parameters, so every op is one batched call.
/// Differences from torchvision, on purpose: jitter runs in a fixed order (brightness, contrast, saturation, hue),
/// hue is a YIQ rotation, and the bicubic resize has no antialiasing.
/// </summary>
public sealed class ViewAugmentation(int imageSize, IReadOnlyList<float> mean, IReadOnlyList<float> std, AugmentOptions options)
{
    private static readonly float[] LumaWeights = [0.299f, 0.587f, 0.114f];


    /// <summary>
    /// Views of a batch of images in [0, 1], (B, C, H, W), normalised and sized imageSize². <paramref name="extents"/>
    /// (from <see cref="PretrainingLoader"/> for photographs): each image's own (height, width) in the top-left of
    /// its padded slot; crops are drawn inside it. Null: every image fills its slot.
    /// </summary>
    public IReadOnlyList<Tensor> Views(Tensor images, ViewRequest request, Random random, IReadOnlyList<ImageExtent>? extents = null)
    {
        var views = new List<Tensor>(request.Count);
        Tensor? shared = null;
        for (int v = 0; v < request.Count; v++)
        {
            Tensor cropped;
            if (request.SharedGeometry) cropped = shared ??= CropAndFlip(images, random, extents);
            else cropped = CropAndFlip(images, random, extents);
            views.Add(Normalize(Colour(cropped, random)));
        }
        return views;
    }

    /// <summary>Resize to imageSize² and normalise, with no randomness (evaluation).</summary>
    public Tensor Plain(Tensor images)
    {
        var x = images.shape[2] == imageSize && images.shape[3] == imageSize
            ? images
            : F.interpolate(images, new long[] { imageSize, imageSize }, mode: InterpolationMode.Bicubic, align_corners: false).clamp(0, 1);
        return Normalize(x);
    }

    /// <summary>RandomResizedCrop (bicubic) and horizontal flip per sample, inside each image's extent (default: all of it).</summary>
    public Tensor CropAndFlip(Tensor images, Random random, IReadOnlyList<ImageExtent>? extents = null)
    {
        long batch = images.shape[0];
        if (extents is not null && extents.Count != batch)
            throw new ArgumentException($"{extents.Count} image extents for a batch of {batch}.", nameof(extents));
        var size = new long[] { imageSize, imageSize };
        var crops = new Tensor[batch];
        for (int b = 0; b < batch; b++)
        {
            var (height, width) = extents is null ? ((int)images.shape[2], (int)images.shape[3]) : (extents[b].Height, extents[b].Width);
            var (top, left, h, w) = SampleCrop(random, height, width);
            bool flip = random.NextDouble() < options.FlipP;
            // One bicubic resize per sample: libtorch's grid_sample has no bicubic mode that TorchSharp exposes,
            // and at these batch sizes the loop costs milliseconds against a step of hundreds.
            var crop = images[b..(b + 1), .., top..(top + h), left..(left + w)];
            crop = h == imageSize && w == imageSize ? crop : F.interpolate(crop, size, mode: InterpolationMode.Bicubic, align_corners: false);
            crops[b] = flip ? crop.flip(3) : crop;
        }
        return cat(crops, 0).clamp_(0, 1);
    }

    // torchvision's RandomResizedCrop.get_params: 10 tries, then a central crop.
    private (int top, int left, int h, int w) SampleCrop(Random random, long height, long width)
    {
        double area = height * width, logLo = Math.Log(3.0 / 4), logHi = Math.Log(4.0 / 3);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double target = area * (options.CropScale[0] + random.NextDouble() * (options.CropScale[1] - options.CropScale[0]));
            double ratio = Math.Exp(logLo + random.NextDouble() * (logHi - logLo));
            int w = (int)Math.Round(Math.Sqrt(target * ratio)), h = (int)Math.Round(Math.Sqrt(target / ratio));
            if (w > 0 && h > 0 && w <= width && h <= height)
                return (random.Next(0, (int)height - h + 1), random.Next(0, (int)width - w + 1), h, w);
        }
        return (0, 0, (int)height, (int)width);
    }

    public Tensor Colour(Tensor x, Random random)
    {
        long batch = x.shape[0], channels = x.shape[1];
        var brightness = new float[batch]; var contrast = new float[batch]; var saturation = new float[batch];
        var hue = new float[batch]; var gray = new float[batch]; var sigma = new float[batch];
        bool anyGray = false, anyBlur = false;
        for (int b = 0; b < batch; b++)
        {
            brightness[b] = contrast[b] = saturation[b] = 1;
            if (random.NextDouble() >= options.ColorP) continue;
            if (random.NextDouble() < options.JitterP)
            {
                brightness[b] = Uniform(random, 1 - options.Brightness, 1 + options.Brightness);
                contrast[b] = Uniform(random, 1 - options.Contrast, 1 + options.Contrast);
                saturation[b] = Uniform(random, 1 - options.Saturation, 1 + options.Saturation);
                hue[b] = Uniform(random, -options.Hue, options.Hue);
            }
            if (random.NextDouble() < options.GrayP) { gray[b] = 1; anyGray = true; }
            if (random.NextDouble() < options.BlurP) { sigma[b] = Uniform(random, options.BlurSigma[0], options.BlurSigma[1]); anyBlur = true; }
        }
        var device = x.device;
        Tensor PerSample(float[] values) => tensor(values, device: device).view(batch, 1, 1, 1);

        x = (x * PerSample(brightness)).clamp(0, 1);
        var m = Luma(x).mean(new long[] { 1, 2, 3 }, keepdim: true);
        x = ((x - m) * PerSample(contrast) + m).clamp(0, 1);
        if (channels == 3)
        {
            var g = Luma(x);
            x = (g + (x - g) * PerSample(saturation)).clamp(0, 1);
            x = RotateHue(x, hue).clamp(0, 1);
            if (anyGray) x = where(PerSample(gray) > 0, Luma(x).expand_as(x), x);
        }
        if (anyBlur) x = Blur(x, sigma);
        return x;
    }

    private static float Uniform(Random random, double lo, double hi) => (float)(lo + random.NextDouble() * (hi - lo));

    private static Tensor Luma(Tensor x) =>
        x.shape[1] == 1 ? x : (x * tensor(LumaWeights, device: x.device).view(1, 3, 1, 1)).sum(1, keepdim: true);

    // Hue shift as a rotation of the chroma plane in YIQ space; angle = 2π·hue per sample.
    private static Tensor RotateHue(Tensor x, float[] hue)
    {
        if (hue.All(h => h == 0)) return x;
        var toYiq = tensor(new float[] { 0.299f, 0.587f, 0.114f, 0.596f, -0.274f, -0.322f, 0.211f, -0.523f, 0.312f }, new long[] { 3, 3 }, device: x.device);
        var fromYiq = linalg.inv(toYiq);
        var rotations = new float[hue.Length * 9];
        for (int b = 0; b < hue.Length; b++)
        {
            double a = 2 * Math.PI * hue[b];
            float c = (float)Math.Cos(a), s = (float)Math.Sin(a);
            rotations[b * 9 + 0] = 1;
            rotations[b * 9 + 4] = c; rotations[b * 9 + 5] = -s;
            rotations[b * 9 + 7] = s; rotations[b * 9 + 8] = c;
        }
        var rot = tensor(rotations, new long[] { hue.Length, 3, 3 }, device: x.device);
        var transform = fromYiq.matmul(rot).matmul(toYiq); // (B, 3, 3)
        return einsum("bij,bjhw->bihw", transform, x);
    }

    // Per-sample separable Gaussian blur, only on the samples that draw one, as two batched matmuls with banded
    // (B, H, H) and (B, W, W) matrices that fold in the reflect padding: libtorch's CPU depthwise convolution, the
    // obvious alternative, made blur the slowest part of the whole input pipeline at 224 px.
    private Tensor Blur(Tensor x, float[] sigma)
    {
        long h = x.shape[2], w = x.shape[3];
        int size = Math.Max(3, (int)Math.Round(imageSize * 0.1) | 1);
        int radius = Math.Min(size / 2, (int)Math.Min(h, w) - 1);
        var blurred = Enumerable.Range(0, sigma.Length).Where(b => sigma[b] > 0).ToArray();
        if (blurred.Length == 0) return x;

        Tensor Matrices(int n)
        {
            var data = new float[blurred.Length * n * n];
            for (int i = 0; i < blurred.Length; i++)
            {
                var kernel = Gaussian(sigma[blurred[i]], radius);
                for (int row = 0; row < n; row++)
                    for (int k = -radius; k <= radius; k++)
                    {
                        int column = row + k;
                        column = column < 0 ? -column : column >= n ? 2 * n - 2 - column : column; // reflect
                        data[(i * n + row) * n + column] += kernel[k + radius];
                    }
            }
            return tensor(data, new long[] { blurred.Length, 1, n, n }, device: x.device);
        }

        var index = tensor(blurred.Select(b => (long)b).ToArray(), device: x.device);
        var subset = x.index_select(0, index);                                    // (S, C, H, W)
        subset = Matrices((int)h).matmul(subset).matmul(Matrices((int)w).transpose(2, 3)); // rows, then columns
        return x.index_copy(0, index, subset);
    }

    private static float[] Gaussian(float sigma, int radius)
    {
        var k = new float[2 * radius + 1];
        double sum = 0;
        for (int i = 0; i < k.Length; i++) sum += k[i] = (float)Math.Exp(-0.5 * Math.Pow((i - radius) / sigma, 2));
        for (int i = 0; i < k.Length; i++) k[i] = (float)(k[i] / sum);
        return k;
    }

    /// <summary>(x − mean) / std per channel.</summary>
    public Tensor Normalize(Tensor x)
    {
        long channels = x.shape[1];
        var m = tensor(mean.Take((int)channels).ToArray(), device: x.device).view(1, channels, 1, 1);
        var s = tensor(std.Take((int)channels).ToArray(), device: x.device).view(1, channels, 1, 1);
        return (x - m) / s;
    }
}

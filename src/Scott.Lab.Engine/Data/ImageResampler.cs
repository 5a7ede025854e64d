namespace Scott.Lab.Engine.Data;

/// <summary>
/// Resizes decoded HWC byte images on worker threads, before they become tensors: the short side to a size, then
/// either a centre crop to a square (torchvision's Resize + CenterCrop) or, for pre-training, the whole image.
/// Separable resampling with a triangle (bilinear) filter whose support widens with the downscale factor, as
/// Pillow does, so that shrinking averages every source pixel instead of aliasing. Written by hand because it runs
/// per image on the loader's threads in managed memory; SkiaSharp (in the dataset plugins) already did the coarse
/// downscale while decoding.
/// </summary>
public static class ImageResampler
{
    /// <summary>The square (size × size × channels) centre of <paramref name="pixels"/> after its short side is scaled to <paramref name="size"/>.</summary>
    public static byte[] ShortSideCenterCrop(byte[] pixels, int width, int height, int channels, int size)
    {
        double scale = (double)size / Math.Min(width, height);
        // The scaled image, of which only the centre square is computed.
        double offsetX = (width * scale - size) / 2, offsetY = (height * scale - size) / 2;
        return Resample(pixels, width, height, channels, scale, scale, offsetX, offsetY, size, size);
    }

    /// <summary>
    /// The whole image, its short side scaled to <paramref name="shortSide"/> (aspect ratio kept), unless its long
    /// side would then exceed <paramref name="maxLongSide"/>: then the long side is scaled to that. Nothing is cut.
    /// </summary>
    public static (byte[] Pixels, int Width, int Height) ShortSide(byte[] pixels, int width, int height, int channels, int shortSide, int maxLongSide)
    {
        double scale = Math.Min((double)shortSide / Math.Min(width, height), (double)maxLongSide / Math.Max(width, height));
        int outWidth = Math.Max(1, (int)Math.Round(width * scale)), outHeight = Math.Max(1, (int)Math.Round(height * scale));
        if (outWidth == width && outHeight == height) return (pixels, width, height);
        return (Resample(pixels, width, height, channels, (double)outWidth / width, (double)outHeight / height, 0, 0, outWidth, outHeight), outWidth, outHeight);
    }

    /// <summary>The <paramref name="outWidth"/> × <paramref name="outHeight"/> window at (offsetX, offsetY) of the image scaled by (scaleX, scaleY).</summary>
    private static byte[] Resample(byte[] pixels, int width, int height, int channels, double scaleX, double scaleY, double offsetX, double offsetY, int outWidth, int outHeight)
    {
        var columns = Weights(width, scaleX, offsetX, outWidth);
        var rows = Weights(height, scaleY, offsetY, outHeight);

        // Horizontal pass over the source rows that the vertical pass needs, then the vertical pass.
        int firstRow = rows.Min(r => r.Start), lastRow = rows.Max(r => r.Start + r.Values.Length);
        int stride = outWidth * channels;
        var horizontal = new float[(lastRow - firstRow) * stride];
        for (int y = firstRow; y < lastRow; y++)
        {
            int src = y * width * channels, dst = (y - firstRow) * stride;
            for (int x = 0; x < outWidth; x++)
            {
                var (start, values) = columns[x];
                for (int c = 0; c < channels; c++)
                {
                    float sum = 0;
                    for (int k = 0; k < values.Length; k++) sum += values[k] * pixels[src + (start + k) * channels + c];
                    horizontal[dst + x * channels + c] = sum;
                }
            }
        }
        var output = new byte[outHeight * stride];
        for (int y = 0; y < outHeight; y++)
        {
            var (start, values) = rows[y];
            for (int i = 0; i < stride; i++)
            {
                float sum = 0;
                for (int k = 0; k < values.Length; k++) sum += values[k] * horizontal[(start - firstRow + k) * stride + i];
                output[y * stride + i] = (byte)Math.Clamp(MathF.Round(sum), 0, 255);
            }
        }
        return output;
    }

    /// <summary>For each output pixel, the first source pixel it reads and the normalised filter weights.</summary>
    private static (int Start, float[] Values)[] Weights(int sourceLength, double scale, double offset, int outputLength)
    {
        double support = Math.Max(1.0, 1.0 / scale); // in source pixels: widen when shrinking
        var weights = new (int, float[])[outputLength];
        for (int i = 0; i < outputLength; i++)
        {
            double centre = (i + offset + 0.5) / scale; // in source coordinates
            int start = Math.Max(0, (int)Math.Floor(centre - support));
            int end = Math.Min(sourceLength, (int)Math.Ceiling(centre + support));
            var values = new float[Math.Max(1, end - start)];
            double total = 0;
            for (int k = 0; k < values.Length; k++)
            {
                double distance = Math.Abs(start + k + 0.5 - centre) / support;
                double w = Math.Max(0, 1 - distance);
                values[k] = (float)w;
                total += w;
            }
            if (total <= 0) { values = [1f]; start = Math.Clamp((int)centre, 0, sourceLength - 1); total = 1; }
            for (int k = 0; k < values.Length; k++) values[k] = (float)(values[k] / total);
            weights[i] = (start, values);
        }
        return weights;
    }
}

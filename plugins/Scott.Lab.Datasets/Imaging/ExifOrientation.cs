using SkiaSharp;

namespace Scott.Lab.Datasets.Imaging;

/// <summary>
/// Turns stored pixels into display orientation following the EXIF Orientation tag (1–8), exactly (no resampling).
/// For each displayed pixel (x', y') the stored pixel it comes from is, with W×H the stored size:
/// 1 (x', y'); 2 mirror (W-1-x', y'); 3 rotate 180° (W-1-x', H-1-y'); 4 flip (x', H-1-y');
/// 5 transpose (y', x'); 6 rotate 90° clockwise (y', H-1-x'); 7 transverse (W-1-y', H-1-x');
/// 8 rotate 90° counter-clockwise (W-1-y', x'). Orientations 5–8 swap width and height.
/// </summary>
public static class ExifOrientation
{
    /// <summary>Reorders HWC RGB pixels; returns the input unchanged for the default orientation.</summary>
    public static (byte[] Rgb, int Width, int Height) Apply(byte[] rgb, int width, int height, SKEncodedOrigin origin)
    {
        const int channels = 3;
        if (origin is SKEncodedOrigin.TopLeft || !Enum.IsDefined(origin)) return (rgb, width, height);
        bool swaps = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        int outWidth = swaps ? height : width, outHeight = swaps ? width : height;
        var result = new byte[rgb.Length];
        for (int y = 0; y < outHeight; y++)
        {
            for (int x = 0; x < outWidth; x++)
            {
                var (sx, sy) = origin switch
                {
                    SKEncodedOrigin.TopRight => (width - 1 - x, y),
                    SKEncodedOrigin.BottomRight => (width - 1 - x, height - 1 - y),
                    SKEncodedOrigin.BottomLeft => (x, height - 1 - y),
                    SKEncodedOrigin.LeftTop => (y, x),
                    SKEncodedOrigin.RightTop => (y, height - 1 - x),
                    SKEncodedOrigin.RightBottom => (width - 1 - y, height - 1 - x),
                    SKEncodedOrigin.LeftBottom => (width - 1 - y, x),
                    _ => (x, y),
                };
                long from = ((long)sy * width + sx) * channels, to = ((long)y * outWidth + x) * channels;
                result[to] = rgb[from];
                result[to + 1] = rgb[from + 1];
                result[to + 2] = rgb[from + 2];
            }
        }
        return (result, outWidth, outHeight);
    }
}

using System.Globalization;

namespace Scott.Lab.Abstractions.Data;

/// <summary>
/// The largest image a decoder accepts, checked against the size an image's header declares before any pixel memory
/// is allocated: a few hundred bytes of PNG can declare 60000×60000 pixels (14.4 GB as RGBA). An image over a limit
/// is an unreadable image (see <see cref="IBadImageReport"/>), reported with its size. All arithmetic is in
/// <see cref="long"/>: 60000×60000×4 does not fit an <see cref="int"/>. One megapixel (Mpx) is 1,000,000 pixels.
/// </summary>
public sealed record ImageLimits
{
    /// <summary>Default longest side, in pixels.</summary>
    public const int DefaultMaxSide = 16384;

    /// <summary>Default pixel count, in megapixels (64 Mpx as 8-bit RGBA is 256 MB).</summary>
    public const int DefaultMaxMegapixels = 64;

    /// <summary>The largest pixel count a limit may be set to: the RGBA bytes of an image must fit one array.</summary>
    public const int HighestMaxMegapixels = 500;

    /// <summary>The defaults: 16384 pixels a side, 64 Mpx.</summary>
    public static ImageLimits Default { get; } = new(DefaultMaxSide, DefaultMaxMegapixels);

    public ImageLimits(int maxSide, int maxMegapixels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSide, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMegapixels, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxMegapixels, HighestMaxMegapixels);
        MaxSide = maxSide;
        MaxMegapixels = maxMegapixels;
    }

    /// <summary>Longest width or height accepted, in pixels.</summary>
    public int MaxSide { get; }

    /// <summary>Largest width × height accepted, in megapixels.</summary>
    public int MaxMegapixels { get; }

    /// <summary>Largest width × height accepted, in pixels.</summary>
    public long MaxPixels => MaxMegapixels * 1_000_000L;

    /// <summary>
    /// Null when a <paramref name="width"/>×<paramref name="height"/> image is within the limits, else why not, e.g.
    /// "the image is 60000×60000 pixels (3600 Mpx), over the limit of 16384 pixels a side and 64 Mpx".
    /// A non-positive size is a problem too.
    /// </summary>
    public string? Problem(long width, long height)
    {
        if (width <= 0 || height <= 0)
            return string.Create(CultureInfo.InvariantCulture, $"the header declares a {width}×{height} image");
        long pixels = width * height; // at most (2^31)^2 = 2^62 for int-sized sides: no overflow in long
        if (width <= MaxSide && height <= MaxSide && pixels <= MaxPixels) return null;
        return string.Create(CultureInfo.InvariantCulture,
            $"the image is {width}×{height} pixels ({Megapixels(pixels)} Mpx), over the limit of {MaxSide} pixels a side and {MaxMegapixels} Mpx");
    }

    private static string Megapixels(long pixels) =>
        pixels >= 10_000_000
            ? (pixels / 1_000_000).ToString(CultureInfo.InvariantCulture)
            : Math.Max(pixels / 1e6, 0.01).ToString("0.##", CultureInfo.InvariantCulture);
}

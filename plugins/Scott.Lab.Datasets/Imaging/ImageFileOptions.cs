using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Scott.Lab.Abstractions.Data;

namespace Scott.Lab.Datasets.Imaging;

/// <summary>Options every dataset of image files shares: how images are decoded and what happens to unreadable ones.</summary>
public abstract class ImageFileOptions
{
    public const int DefaultDecodeSize = 256;
    public const string Skip = "skip";
    public const string Fail = "fail";

    [Range(0, 16384)]
    [Display(Name = "Decode size")]
    [Description("Short side in pixels that images are delivered at: larger images are shrunk while decoding (JPEG) and then resized to it; smaller ones are kept as they are. 0 = full size.")]
    public int DecodeSize { get; set; } = DefaultDecodeSize;

    [Range(1, int.MaxValue)]
    [Display(Name = "Largest image side")]
    [Description("Images wider or taller than this many pixels are unreadable (left out under 'skip'), reported with their size; the header is checked before any pixel memory is allocated.")]
    public int MaxImageSide { get; set; } = ImageLimits.DefaultMaxSide;

    [Range(1, ImageLimits.HighestMaxMegapixels)]
    [Display(Name = "Largest image (Mpx)")]
    [Description("Images of more than this many megapixels (width × height ÷ 1,000,000) are unreadable (left out under 'skip'), reported with their size.")]
    public int MaxImageMegapixels { get; set; } = ImageLimits.DefaultMaxMegapixels;

    /// <summary>The limits these options set.</summary>
    public ImageLimits Limits() => new(MaxImageSide, MaxImageMegapixels);

    [Required]
    [AllowedValues(Skip, Fail)]
    [Display(Name = "Unreadable images")]
    [Description("What to do with image files that cannot be read when the dataset is opened (empty, truncated, not an image, over the size limits): 'skip' leaves them out and reports them, 'fail' refuses to open the dataset.")]
    public string BadImages { get; set; } = Skip;
}

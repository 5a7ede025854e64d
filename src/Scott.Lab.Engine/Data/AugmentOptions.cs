using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Scott.Lab.Engine.Data;

/// <summary>The view augmentations (the optional <c>augment:</c> section). Defaults are the reference's.</summary>
public sealed class AugmentOptions : IValidatableObject
{
    [Display(Name = "Crop area (min, max)")]
    [Description("RandomResizedCrop area range [min, max] as fractions of the image.")]
    public double[] CropScale { get; set; } = [0.2, 1.0];

    [Display(Name = "Flip probability")]
    [Range(0.0, 1.0), Description("Probability of a horizontal flip (shared by views with shared geometry).")]
    public double FlipP { get; set; } = 0.5;

    [Display(Name = "Colour probability")]
    [Range(0.0, 1.0), Description("Probability that a view gets the colour augmentations at all.")]
    public double ColorP { get; set; } = 0.6;

    [Display(Name = "Jitter probability")]
    [Range(0.0, 1.0), Description("Within that, probability of colour jitter.")]
    public double JitterP { get; set; } = 0.8;

    [Display(Name = "Brightness jitter", Description = "Colour jitter: brightness is scaled by a factor drawn from [1 - x, 1 + x].")]
    [Range(0.0, 1.0)] public double Brightness { get; set; } = 0.4;
    [Display(Name = "Contrast jitter", Description = "Colour jitter: contrast is scaled by a factor drawn from [1 - x, 1 + x].")]
    [Range(0.0, 1.0)] public double Contrast { get; set; } = 0.4;
    [Display(Name = "Saturation jitter", Description = "Colour jitter: saturation is scaled by a factor drawn from [1 - x, 1 + x].")]
    [Range(0.0, 1.0)] public double Saturation { get; set; } = 0.2;
    [Display(Name = "Hue jitter", Description = "Colour jitter: the hue is shifted by up to ±x of the colour circle.")]
    [Range(0.0, 0.5)] public double Hue { get; set; } = 0.1;

    [Display(Name = "Grayscale probability")]
    [Range(0.0, 1.0), Description("Within that, probability of grayscale.")]
    public double GrayP { get; set; } = 0.1;

    [Display(Name = "Blur probability")]
    [Range(0.0, 1.0), Description("Within that, probability of Gaussian blur.")]
    public double BlurP { get; set; } = 0.3;

    [Display(Name = "Blur sigma (min, max, px)")]
    [Description("Gaussian blur sigma range [min, max] in pixels.")]
    public double[] BlurSigma { get; set; } = [0.1, 2.0];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (CropScale is not { Length: 2 } || CropScale[0] <= 0 || CropScale[0] > CropScale[1] || CropScale[1] > 1)
            yield return new ValidationResult("must be [min, max] with 0 < min <= max <= 1.", [nameof(CropScale)]);
        if (BlurSigma is not { Length: 2 } || BlurSigma[0] <= 0 || BlurSigma[0] > BlurSigma[1])
            yield return new ValidationResult("must be [min, max] with 0 < min <= max.", [nameof(BlurSigma)]);
    }
}

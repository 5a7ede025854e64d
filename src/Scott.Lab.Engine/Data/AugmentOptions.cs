using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Scott.Lab.Engine.Data;

/// <summary>The view augmentations (the optional <c>augment:</c> section). Defaults are the reference's.</summary>
public sealed class AugmentOptions : IValidatableObject
{
    [Description("RandomResizedCrop area range [min, max] as fractions of the image.")]
    public double[] CropScale { get; set; } = [0.2, 1.0];

    [Range(0.0, 1.0), Description("Probability of a horizontal flip (shared by views with shared geometry).")]
    public double FlipP { get; set; } = 0.5;

    [Range(0.0, 1.0), Description("Probability that a view gets the colour augmentations at all.")]
    public double ColorP { get; set; } = 0.6;

    [Range(0.0, 1.0), Description("Within that, probability of colour jitter.")]
    public double JitterP { get; set; } = 0.8;

    [Range(0.0, 1.0)] public double Brightness { get; set; } = 0.4;
    [Range(0.0, 1.0)] public double Contrast { get; set; } = 0.4;
    [Range(0.0, 1.0)] public double Saturation { get; set; } = 0.2;
    [Range(0.0, 0.5)] public double Hue { get; set; } = 0.1;

    [Range(0.0, 1.0), Description("Within that, probability of grayscale.")]
    public double GrayP { get; set; } = 0.1;

    [Range(0.0, 1.0), Description("Within that, probability of Gaussian blur.")]
    public double BlurP { get; set; } = 0.3;

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

namespace Scott.Lab.Abstractions.Objectives;

/// <summary>A [min, max] range of an augmentation (a crop's area fraction, a blur sigma in pixels).</summary>
public readonly record struct AugmentRange(double Min, double Max);

/// <summary>
/// The augmentations an objective is designed for (<see cref="Plugins.IObjectivePlugin.Augmentation"/>): one
/// property per key of the config's <c>augment:</c> section (<c>CropScale</c> is <c>augment.crop_scale</c>). A null
/// property leaves the key to the host's default. The host fills a key from the recipe only where the config leaves
/// it out (host defaults &lt; recipe &lt; preset file &lt; <c>--set</c>), validates the values as it validates a
/// config's, and records the values a run used in its <c>config.yaml</c>.
/// </summary>
/// <remarks>
/// Built with initialisers (<c>new AugmentRecipe { ColorP = 0 }</c>), never positionally, so that a key the host adds
/// later is one more nullable property and recipes compiled before it keep working.
/// </remarks>
public sealed record AugmentRecipe
{
    /// <summary>RandomResizedCrop area range as fractions of the image (<c>augment.crop_scale</c>).</summary>
    public AugmentRange? CropScale { get; init; }

    /// <summary>Probability of a horizontal flip (<c>augment.flip_p</c>).</summary>
    public double? FlipP { get; init; }

    /// <summary>Probability that a view gets the colour augmentations at all (<c>augment.color_p</c>).</summary>
    public double? ColorP { get; init; }

    /// <summary>Within the colour stage, probability of colour jitter (<c>augment.jitter_p</c>).</summary>
    public double? JitterP { get; init; }

    /// <summary>Colour jitter strengths (<c>augment.brightness</c>, <c>contrast</c>, <c>saturation</c>, <c>hue</c>).</summary>
    public double? Brightness { get; init; }
    public double? Contrast { get; init; }
    public double? Saturation { get; init; }
    public double? Hue { get; init; }

    /// <summary>Within the colour stage, probability of grayscale (<c>augment.gray_p</c>).</summary>
    public double? GrayP { get; init; }

    /// <summary>Within the colour stage, probability of Gaussian blur (<c>augment.blur_p</c>).</summary>
    public double? BlurP { get; init; }

    /// <summary>Gaussian blur sigma range in pixels (<c>augment.blur_sigma</c>).</summary>
    public AugmentRange? BlurSigma { get; init; }
}

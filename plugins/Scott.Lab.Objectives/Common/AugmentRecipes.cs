namespace Scott.Lab.Objectives.Common;

/// <summary>
/// The augmentation recipes of the papers, as <c>augment.*</c> defaults (IObjectivePlugin.AugmentDefaults): only
/// keys a config leaves out take them. The two-view methods share SimCLR's strong colour distortion (every view
/// gets the colour stage; jitter 0.8, grayscale 0.2, blur 0.5, the mean of BYOL's asymmetric 1.0 / 0.1); the
/// masked-image methods use geometry only.
/// </summary>
public static class AugmentRecipes
{
    public static IReadOnlyDictionary<string, object> StrongColour(double minCropScale, double saturation = 0.2) => new Dictionary<string, object>
    {
        ["crop_scale"] = new[] { minCropScale, 1.0 },
        ["color_p"] = 1.0,
        ["jitter_p"] = 0.8,
        ["saturation"] = saturation,
        ["gray_p"] = 0.2,
        ["blur_p"] = 0.5,
    };

    /// <summary>RandomResizedCrop and flip, no colour (MAE: scale 0.2–1; SimMIM: 0.67–1).</summary>
    public static IReadOnlyDictionary<string, object> GeometryOnly(double minCropScale) => new Dictionary<string, object>
    {
        ["crop_scale"] = new[] { minCropScale, 1.0 },
        ["color_p"] = 0.0,
    };
}

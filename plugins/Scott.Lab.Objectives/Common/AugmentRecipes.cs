using Scott.Lab.Abstractions.Objectives;

namespace Scott.Lab.Objectives.Common;

/// <summary>
/// The augmentation recipes of the papers (IObjectivePlugin.Augmentation): only keys a config leaves out take
/// them. The two-view methods share SimCLR's strong colour distortion (every view gets the colour stage; jitter 0.8,
/// grayscale 0.2, blur 0.5, the mean of BYOL's asymmetric 1.0 / 0.1); the masked-image methods use geometry only.
/// </summary>
public static class AugmentRecipes
{
    public static AugmentRecipe StrongColour(double minCropScale, double saturation = 0.2) => new()
    {
        CropScale = new(minCropScale, 1.0),
        ColorP = 1.0,
        JitterP = 0.8,
        Saturation = saturation,
        GrayP = 0.2,
        BlurP = 0.5,
    };

    /// <summary>RandomResizedCrop and flip, no colour (MAE: scale 0.2–1; SimMIM: 0.67–1).</summary>
    public static AugmentRecipe GeometryOnly(double minCropScale) => new()
    {
        CropScale = new(minCropScale, 1.0),
        ColorP = 0.0,
    };
}

using Scott.Lab.Abstractions.Objectives;
using Scott.Lab.Abstractions.Plugins;

namespace Scott.Lab.SamplePlugin;

/// <summary>
/// The plugin: a public class with a parameterless constructor. Implementing <see cref="IObjectivePlugin"/> is what
/// makes it an objective (the host reads the kind from the interface). PluginBase supplies OptionsType, a version
/// from the assembly and <see cref="PluginBase{TOptions}.Typed"/> (null options mean all defaults).
/// </summary>
public sealed class BarlowTwinsPlugin : PluginBase<BarlowTwinsOptions>, IObjectivePlugin
{
    /// <summary>The id configs use (<c>objective: { id: sample-barlow-twins }</c>); it must be unique among loaded plugins.</summary>
    public override string Id => "sample-barlow-twins";
    public override string DisplayName => "Barlow Twins (sample plugin)";
    public override string Description => "Sample plugin: the cross-correlation of two views' embeddings is pushed towards the identity.";

    /// <summary>
    /// The oldest Scott.Lab this plugin works with: the contract version it was written against (the Plugins page
    /// and <c>scott-lab plugins list</c> show an older host refusing it, with both versions).
    /// </summary>
    public override string MinimumHostVersion => "0.1.0";

    /// <summary>
    /// Optional: the augmentations the method is designed for (Barlow Twins uses BYOL's: strong colour distortion
    /// on every view; blur's asymmetric 1.0 / 0.1 as one 0.5). Only the <c>augment.*</c> keys a config leaves out
    /// take these values; a null property keeps the host's default.
    /// </summary>
    public AugmentRecipe Augmentation => new()
    {
        CropScale = new(0.08, 1.0),
        ColorP = 1.0,
        JitterP = 0.8,
        GrayP = 0.2,
        BlurP = 0.5,
    };

    /// <summary>Options arrive bound and validated by the host; a problem found here should be an ArgumentException.</summary>
    public ObjectiveModule Create(object? options, ObjectiveContext context) => new BarlowTwinsObjective(Typed(options), context);
}

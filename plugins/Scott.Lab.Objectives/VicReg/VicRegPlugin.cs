using Scott.Lab.Abstractions.Objectives;
using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Objectives.Common;

namespace Scott.Lab.Objectives.VicReg;

public sealed class VicRegPlugin : PluginBase<VicRegOptions>, IObjectivePlugin
{
    public override string Id => "vicreg";
    public override string DisplayName => "VICReg";
    public override string Description =>
        "Redundancy reduction: the two views' embeddings agree (invariance) while each dimension keeps a std of at least 1 (variance) and dimensions decorrelate (covariance).";

    /// <summary>VICReg (its paper's recipe, as BYOL's).</summary>
    public AugmentRecipe Augmentation => AugmentRecipes.StrongColour(0.08);

    public ObjectiveModule Create(object? options, ObjectiveContext context) => new VicRegObjective(Typed(options), context);
}

using Scott.Lab.Abstractions.Objectives;
using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Objectives.Common;

namespace Scott.Lab.Objectives.Mae;

public sealed class MaePlugin : PluginBase<MaeOptions>, IObjectivePlugin
{
    public override string Id => "mae";
    public override string DisplayName => "MAE";
    public override string Description =>
        "Pixel reconstruction: the encoder sees only the visible patches, a light decoder predicts the masked patches' per-patch normalised pixels (MSE on masked patches only).";

    /// <summary>MAE: crop and flip only.</summary>
    public AugmentRecipe Augmentation => AugmentRecipes.GeometryOnly(0.2);

    public ObjectiveModule Create(object? options, ObjectiveContext context) => new MaeObjective(Typed(options), context);
}

using Scott.Lab.Abstractions.Objectives;
using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Objectives.Common;

namespace Scott.Lab.Objectives.Byol;

public sealed class ByolPlugin : PluginBase<ByolOptions>, IObjectivePlugin
{
    public override string Id => "byol";
    public override string DisplayName => "BYOL";
    public override string Description =>
        "Distillation with an EMA teacher: an online encoder, projector and predictor regress the target network's projection of the other view (cosine momentum schedule, no negatives).";

    /// <summary>BYOL.</summary>
    public AugmentRecipe Augmentation => AugmentRecipes.StrongColour(0.08);

    public ObjectiveModule Create(object? options, ObjectiveContext context) => new ByolObjective(Typed(options), context);
}

using Scott.Lab.Abstractions.Objectives;
using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Objectives.Common;

namespace Scott.Lab.Objectives.Dino;

public sealed class DinoPlugin : PluginBase<DinoOptions>, IObjectivePlugin
{
    public override string Id => "dino";
    public override string DisplayName => "DINO";
    public override string Description =>
        "Self-distillation with no labels: the student matches the softmax over prototypes of an EMA teacher on the other view; the teacher's logits are centred (EMA of their mean) and sharpened (a lower temperature) against collapse.";

    /// <summary>DINO without local crops: global crops from 14% of the image, its recommendation when multi-crop is off.</summary>
    public AugmentRecipe Augmentation => AugmentRecipes.StrongColour(0.14);

    public ObjectiveModule Create(object? options, ObjectiveContext context) => new DinoObjective(Typed(options), context);
}

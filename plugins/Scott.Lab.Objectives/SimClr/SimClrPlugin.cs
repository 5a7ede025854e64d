using Scott.Lab.Abstractions.Objectives;
using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Objectives.Common;

namespace Scott.Lab.Objectives.SimClr;

public sealed class SimClrPlugin : PluginBase<SimClrOptions>, IObjectivePlugin
{
    public override string Id => "simclr";
    public override string DisplayName => "SimCLR";
    public override string Description =>
        "Contrastive: two independently augmented views of an image attract, every other view in the batch repels (NT-Xent on projected, mean-pooled tokens).";

    /// <summary>SimCLR: crops from 8% of the image, jitter with saturation 0.4.</summary>
    public AugmentRecipe Augmentation => AugmentRecipes.StrongColour(0.08, saturation: 0.4);

    public ObjectiveModule Create(object? options, ObjectiveContext context) => new SimClrObjective(Typed(options), context);
}

using Scott.Lab.Abstractions.Objectives;
using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Objectives.Common;

namespace Scott.Lab.Objectives.SimMim;

public sealed class SimMimPlugin : PluginBase<SimMimOptions>, IObjectivePlugin
{
    public override string Id => "simmim";
    public override string DisplayName => "SimMIM";
    public override string Description =>
        "Pixel reconstruction for any tokenizer (SCOTT included): masked tokens become the encoder's mask token, a linear head predicts their patches' pixels (L1 on masked patches only).";

    /// <summary>SimMIM: crop (67–100%) and flip only.</summary>
    public AugmentRecipe Augmentation => AugmentRecipes.GeometryOnly(0.67);

    public ObjectiveModule Create(object? options, ObjectiveContext context) => new SimMimObjective(Typed(options), context);
}

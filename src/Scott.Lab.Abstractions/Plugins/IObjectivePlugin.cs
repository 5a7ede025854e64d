using Scott.Lab.Abstractions.Objectives;

namespace Scott.Lab.Abstractions.Plugins;

/// <summary>A training objective: it owns the encoder being trained plus its extra modules and its loss.</summary>
public interface IObjectivePlugin : IScottLabPlugin
{
    ObjectiveModule Create(object? options, ObjectiveContext context);

    /// <summary>
    /// True for objectives that learn from labels (the supervised baseline): the host then feeds them the labelled
    /// training images only, limited to trainer.labels_per_class when set, instead of the pre-training splits.
    /// </summary>
    bool TrainsOnLabels => false;

    /// <summary>
    /// The augmentations this objective is designed for (its paper's recipe), used only for the <c>augment.*</c>
    /// keys a config leaves out: host defaults &lt; this recipe &lt; the preset file &lt; <c>--set</c>. The run's
    /// resolved config records the values used, so a re-run from it does not depend on the recipe. Null (or a null
    /// property): the host's defaults, the view augmentations of MIM-JEPA (crop, shared flip, colour jitter,
    /// grayscale and blur, each drawn per view).
    /// </summary>
    AugmentRecipe? Augmentation => null;
}

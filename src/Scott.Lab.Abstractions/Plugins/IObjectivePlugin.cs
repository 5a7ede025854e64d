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
    /// The augmentations this objective is designed for, as <c>augment.*</c> keys (snake_case, e.g. <c>color_p</c>)
    /// and values (a double, or a double[] for ranges such as <c>crop_scale</c>). The host uses a value only where
    /// the config does not set the key (host defaults &lt; this recipe &lt; the preset file &lt; <c>--set</c>), and the
    /// run's resolved config records what was used. Empty: the host's defaults (METHOD.md's MIM-JEPA recipe).
    /// </summary>
    IReadOnlyDictionary<string, object> AugmentDefaults => NoAugmentDefaults;

    /// <summary>The empty recipe (the host's defaults).</summary>
    static readonly IReadOnlyDictionary<string, object> NoAugmentDefaults = new Dictionary<string, object>();
}

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
}

using Scott.Lab.Abstractions.Objectives;
using Scott.Lab.Abstractions.Plugins;

namespace Scott.Lab.Objectives.Supervised;

public sealed class SupervisedPlugin : PluginBase<SupervisedOptions>, IObjectivePlugin
{
    public override string Id => "supervised";
    public override string DisplayName => "Supervised (baseline)";
    public override string Description =>
        "Baseline: the same encoder trained from scratch with labels (cross-entropy on mean-pooled tokens), on the labelled training images only; trainer.labels_per_class limits them.";
    public bool TrainsOnLabels => true;

    public ObjectiveModule Create(object? options, ObjectiveContext context)
    {
        return new SupervisedObjective(Typed(options), context);
    }
}

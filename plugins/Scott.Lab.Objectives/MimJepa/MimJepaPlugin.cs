using Scott.Lab.Abstractions.Objectives;
using Scott.Lab.Abstractions.Plugins;

namespace Scott.Lab.Objectives.MimJepa;

public sealed class MimJepaPlugin : PluginBase<MimJepaOptions>, IObjectivePlugin
{
    public override string Id => "mim-jepa";
    public override string DisplayName => "MIM-JEPA";
    public override string Description =>
        "Masked image modelling in latent space: a predictor regresses the EMA target encoder's features of masked tokens (Smooth-L1).";

    public ObjectiveModule Create(object? options, ObjectiveContext context) => new MimJepaObjective(Typed(options), context);
}

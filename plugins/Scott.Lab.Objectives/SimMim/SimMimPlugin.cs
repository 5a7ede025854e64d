using Scott.Lab.Abstractions.Objectives;
using Scott.Lab.Abstractions.Plugins;

namespace Scott.Lab.Objectives.SimMim;

public sealed class SimMimPlugin : PluginBase<SimMimOptions>, IObjectivePlugin
{
    public override string Id => "simmim";
    public override string DisplayName => "SimMIM";
    public override string Description =>
        "Pixel reconstruction for any tokenizer (SCOTT included): masked tokens become the encoder's mask token, a linear head predicts their patches' pixels (L1 on masked patches only).";
    public override PluginKind Kind => PluginKind.Objective;

    public ObjectiveModule Create(object? options, ObjectiveContext context) => new SimMimObjective(Typed(options), context);
}

using Scott.Lab.Abstractions.Objectives;

namespace Scott.Lab.Abstractions.Plugins;

/// <summary>A training objective: it owns the encoder being trained plus its extra modules and its loss.</summary>
public interface IObjectivePlugin : IScottLabPlugin
{
    ObjectiveModule Create(object? options, ObjectiveContext context);
}

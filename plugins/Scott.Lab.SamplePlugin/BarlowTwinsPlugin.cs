using Scott.Lab.Abstractions.Objectives;
using Scott.Lab.Abstractions.Plugins;

namespace Scott.Lab.SamplePlugin;

/// <summary>
/// The plugin: a public class with a parameterless constructor. PluginBase supplies OptionsType, a version from the
/// assembly and <see cref="PluginBase{TOptions}.Typed"/> (null options mean all defaults).
/// </summary>
public sealed class BarlowTwinsPlugin : PluginBase<BarlowTwinsOptions>, IObjectivePlugin
{
    /// <summary>The id configs use (<c>objective: { id: sample-barlow-twins }</c>); it must be unique among loaded plugins.</summary>
    public override string Id => "sample-barlow-twins";
    public override string DisplayName => "Barlow Twins (sample plugin)";
    public override string Description => "Sample plugin: the cross-correlation of two views' embeddings is pushed towards the identity.";
    public override PluginKind Kind => PluginKind.Objective;

    /// <summary>Options arrive bound and validated by the host; a problem found here should be an ArgumentException.</summary>
    public ObjectiveModule Create(object? options, ObjectiveContext context) => new BarlowTwinsObjective(Typed(options), context);
}

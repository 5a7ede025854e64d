namespace Scott.Lab.Abstractions.Plugins;

/// <summary>
/// The three kinds of plugin an experiment is assembled from: the host's vocabulary (configs' <c>dataset:</c>,
/// <c>tokenizer:</c> and <c>objective:</c> sections). A plugin does not declare it: the host reads it from the
/// interface the plugin implements (<see cref="ITokenizerPlugin"/>, <see cref="IObjectivePlugin"/>, <see cref="IDatasetPlugin"/>).
/// </summary>
public enum PluginKind { Tokenizer, Objective, Dataset }

/// <summary>
/// What every plugin declares. A plugin is a public class with a parameterless constructor that implements one of
/// <see cref="ITokenizerPlugin"/>, <see cref="IObjectivePlugin"/> or <see cref="IDatasetPlugin"/>, in a DLL that
/// references only Scott.Lab.Abstractions and TorchSharp (with <c>ExcludeAssets=runtime</c>).
/// </summary>
public interface IScottLabPlugin
{
    /// <summary>Short, stable id used in configs (<c>scott</c>, <c>mim-jepa</c>, <c>fashion-mnist</c>).</summary>
    string Id { get; }
    string DisplayName { get; }
    string Description { get; }

    /// <summary>Semantic version of the plugin; recorded with every run.</summary>
    string Version { get; }

    /// <summary>
    /// A plain record/class with a parameterless constructor whose properties carry DataAnnotations
    /// (<c>[Range]</c>, <c>[Display]</c>, <c>[Description]</c>). Its defaults are the plugin's defaults.
    /// </summary>
    Type OptionsType { get; }

    /// <summary>
    /// The oldest Scott.Lab host this plugin works with, as <c>major.minor.patch</c>: the version of the
    /// Scott.Lab.Abstractions contract the host ships (<see cref="PluginContract.Version"/>). Raise it when the
    /// plugin relies on something a host added (a contract member, a fix). A host older than this lists the plugin
    /// as failed, with a message naming both versions, instead of loading it. The default, <c>0.0.0</c>: any host.
    /// </summary>
    string MinimumHostVersion => "0.0.0";
}

/// <summary>Convenience base: typed options and a version taken from the plugin assembly.</summary>
public abstract class PluginBase<TOptions> : IScottLabPlugin where TOptions : class, new()
{
    public abstract string Id { get; }
    public abstract string DisplayName { get; }
    public abstract string Description { get; }
    public virtual string Version => GetType().Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
    public Type OptionsType => typeof(TOptions);

    /// <inheritdoc cref="IScottLabPlugin.MinimumHostVersion"/>
    public virtual string MinimumHostVersion => "0.0.0";

    /// <summary>
    /// Nothing reads this: the host derives a plugin's kind from the interface it implements. It stays (virtual, no
    /// longer abstract) so that plugins built against the earlier contract, which override it, still load and still compile.
    /// </summary>
    [Obsolete("The host derives the kind from the implemented interface (ITokenizerPlugin, IObjectivePlugin, IDatasetPlugin); delete the override.")]
    public virtual PluginKind Kind => this switch
    {
        ITokenizerPlugin => PluginKind.Tokenizer,
        IObjectivePlugin => PluginKind.Objective,
        _ => PluginKind.Dataset,
    };

    /// <summary>Casts options bound by the host; a null means "all defaults".</summary>
    protected static TOptions Typed(object? options) => options switch
    {
        null => new TOptions(),
        TOptions typed => typed,
        _ => throw new ArgumentException($"Expected options of type {typeof(TOptions).Name}, got {options.GetType().Name}."),
    };
}

/// <summary>The contract itself: its version is the host version plugins declare a minimum against.</summary>
public static class PluginContract
{
    /// <summary>This contract's version (<c>major.minor.patch</c>): the Scott.Lab.Abstractions assembly version.</summary>
    public static Version Version { get; } = Normalise(typeof(PluginContract).Assembly.GetName().Version);

    /// <summary><paramref name="version"/> with its revision dropped and missing parts as 0 (1.2 → 1.2.0).</summary>
    public static Version Normalise(Version? version) =>
        version is null ? new Version(0, 0, 0) : new Version(version.Major, version.Minor, Math.Max(version.Build, 0));
}

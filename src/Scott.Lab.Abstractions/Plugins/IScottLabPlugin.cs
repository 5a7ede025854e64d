namespace Scott.Lab.Abstractions.Plugins;

/// <summary>The three kinds of plugin an experiment is assembled from.</summary>
public enum PluginKind { Tokenizer, Objective, Dataset }

/// <summary>
/// What every plugin declares. A plugin is a public class with a parameterless constructor in a DLL that
/// references only Scott.Lab.Abstractions and TorchSharp (with <c>ExcludeAssets=runtime</c>).
/// </summary>
public interface IScottLabPlugin
{
    /// <summary>Short, stable id used in configs (<c>scott</c>, <c>mim-jepa</c>, <c>fashion-mnist</c>).</summary>
    string Id { get; }
    string DisplayName { get; }
    string Description { get; }
    PluginKind Kind { get; }

    /// <summary>Semantic version of the plugin; recorded with every run.</summary>
    string Version { get; }

    /// <summary>
    /// A plain record/class with a parameterless constructor whose properties carry DataAnnotations
    /// (<c>[Range]</c>, <c>[Display]</c>, <c>[Description]</c>). Its defaults are the plugin's defaults.
    /// </summary>
    Type OptionsType { get; }
}

/// <summary>Convenience base: typed options and a version taken from the plugin assembly.</summary>
public abstract class PluginBase<TOptions> : IScottLabPlugin where TOptions : class, new()
{
    public abstract string Id { get; }
    public abstract string DisplayName { get; }
    public abstract string Description { get; }
    public abstract PluginKind Kind { get; }
    public virtual string Version => GetType().Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
    public Type OptionsType => typeof(TOptions);

    /// <summary>Casts options bound by the host; a null means "all defaults".</summary>
    protected static TOptions Typed(object? options) => options switch
    {
        null => new TOptions(),
        TOptions typed => typed,
        _ => throw new ArgumentException($"Expected options of type {typeof(TOptions).Name}, got {options.GetType().Name}."),
    };
}

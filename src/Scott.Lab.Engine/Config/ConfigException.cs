namespace Scott.Lab.Engine.Config;

/// <summary>A problem with a run's configuration. The message names the key or path and says what to do.</summary>
public sealed class ConfigException(string message) : Exception(message)
{
    public ConfigException(IEnumerable<string> problems) : this(string.Join("; ", problems)) { }
}

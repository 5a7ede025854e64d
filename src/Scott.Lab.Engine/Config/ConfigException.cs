namespace Scott.Lab.Engine.Config;

/// <summary>
/// A problem with one key of a run spec, e.g. (<c>optimizer.lr</c>, <c>must be between 0 (exclusive) and 10, got -1</c>):
/// the one shape in which the binder, the form, the launcher and the REST API report a bad spec.
/// </summary>
public sealed record SpecProblem(string Key, string Message)
{
    public override string ToString() => Key.Length == 0 ? Message : $"{Key}: {Message}";
}

/// <summary>A problem with a run's configuration. The message names the key or path and says what to do.</summary>
public sealed class ConfigException : Exception
{
    public ConfigException(string message) : base(message) => Problems = [new SpecProblem("", message)];

    /// <summary>Every problem found, each under its key; the message lists them all.</summary>
    public ConfigException(IReadOnlyList<SpecProblem> problems) : base(string.Join("; ", problems)) => Problems = problems;

    public IReadOnlyList<SpecProblem> Problems { get; }
}

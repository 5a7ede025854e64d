namespace Scott.Lab.Runs;

/// <summary>
/// Lengths the store accepts for what people type (documented in docs/security.md). A run record must stay small:
/// LiteDB refuses documents over 1 MB, and the runs list returns every name, tag and note.
/// </summary>
public static class RunLimits
{
    public const int MaxNameLength = 200;
    public const int MaxTags = 20;
    public const int MaxTagLength = 50;
    public const int MaxNotesLength = 10_000;

    /// <summary>What is wrong with a name, or null: at most <see cref="MaxNameLength"/> characters.</summary>
    public static string? NameProblem(string? name) =>
        name is { Length: > MaxNameLength } ? $"must be at most {MaxNameLength} characters, got {name.Length}" : null;

    /// <summary>What is wrong with a run's tags, or null.</summary>
    public static string? TagsProblem(IReadOnlyCollection<string> tags)
    {
        if (tags.Count > MaxTags) return $"at most {MaxTags} tags, got {tags.Count}";
        var longTag = tags.FirstOrDefault(t => t.Length > MaxTagLength);
        return longTag is null ? null : $"each tag must be at most {MaxTagLength} characters, got one of {longTag.Length} ('{longTag[..20]}...')";
    }

    public static string? NotesProblem(string? notes) =>
        notes is { Length: > MaxNotesLength } ? $"must be at most {MaxNotesLength} characters, got {notes.Length}" : null;

    /// <summary>Throws <see cref="ArgumentException"/> naming the field when a run is over a limit.</summary>
    public static void Check(RunRecord run)
    {
        if (NameProblem(run.Name) is { } name) throw new ArgumentException($"name: {name}.", nameof(run));
        if (TagsProblem(run.Tags) is { } tags) throw new ArgumentException($"tags: {tags}.", nameof(run));
        if (NotesProblem(run.Notes) is { } notes) throw new ArgumentException($"notes: {notes}.", nameof(run));
    }
}

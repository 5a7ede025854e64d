using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Scott.Lab.Runs.Sweeps;

/// <summary>How a sweep picks its trials: every combination of the values (grid), or N seeded draws (random).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SweepMode>))]
public enum SweepMode { Grid, Random }

/// <summary>
/// One swept key of the spec (e.g. <c>optimizer.lr</c>): a list of values, or a numeric range. A grid takes a range
/// at <see cref="Steps"/> points (evenly spaced, or geometrically with <see cref="Log"/>); a random search draws from
/// it uniformly (log-uniformly with <see cref="Log"/>). <see cref="Integer"/> rounds to whole numbers (e.g. model.depth).
/// </summary>
public sealed class SweepParameter
{
    public string Key { get; set; } = "";
    /// <summary>The values to try (numbers, strings or booleans); null for a range.</summary>
    public JsonArray? Values { get; set; }
    public double? Min { get; set; }
    public double? Max { get; set; }
    /// <summary>Grid only: how many points of the range, ends included.</summary>
    public int? Steps { get; set; }
    public bool Log { get; set; }
    public bool Integer { get; set; }

    [JsonIgnore]
    public bool IsRange => Values is null;

    public static SweepParameter List(string key, params JsonNode?[] values) => new() { Key = key, Values = new JsonArray(values.Select(v => v?.DeepClone()).ToArray()) };

    public static SweepParameter Range(string key, double min, double max, int? steps = null, bool log = false, bool integer = false) =>
        new() { Key = key, Min = min, Max = max, Steps = steps, Log = log, Integer = integer };

    /// <summary>For messages and summaries: <c>[0.001, 0.003]</c> or <c>1e-4..1e-2 (log, 3 steps)</c>.</summary>
    public override string ToString()
    {
        if (Values is not null) return Values.ToJsonString();
        var notes = new List<string>();
        if (Log) notes.Add("log");
        if (Integer) notes.Add("whole numbers");
        if (Steps is { } steps) notes.Add($"{steps} steps");
        return FormattableString.Invariant($"{Min}..{Max}") + (notes.Count > 0 ? $" ({string.Join(", ", notes)})" : "");
    }
}

/// <summary>One trial of a sweep: its values of the swept keys and the run that trains them.</summary>
public sealed class SweepTrial
{
    /// <summary>1-based, in the order the trials were expanded (and queued).</summary>
    public int Index { get; set; }
    /// <summary>Swept key → the value this trial uses.</summary>
    public JsonObject Values { get; set; } = [];
    public string? RunId { get; set; }
}

/// <summary>
/// A sweep: several runs of one base spec that differ in the swept keys, queued together. Its runs carry its id
/// (<see cref="RunRecord.SweepId"/>), so the sweep page finds them even when a run was deleted or added later.
/// </summary>
public sealed class SweepRecord
{
    /// <summary><c>sweep-yyyyMMdd-HHmmss-xxxxxxxx</c>, sortable like run ids and never mistaken for one.</summary>
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public SweepMode Mode { get; set; }
    /// <summary>Random only: the number of draws asked for.</summary>
    public int? Trials { get; set; }
    /// <summary>Random only: the seed of the draws (the same seed draws the same trials).</summary>
    public int? Seed { get; set; }
    public List<SweepParameter> Parameters { get; set; } = [];
    public List<SweepTrial> TrialRuns { get; set; } = [];
    /// <summary>"portal" (the form or the REST API) or "cli".</summary>
    public string Source { get; set; } = "portal";
    public DateTime CreatedUtc { get; set; }
    /// <summary>Runs that could not be queued after every trial had passed validation (e.g. sbatch refused), with why.</summary>
    public List<string> Problems { get; set; } = [];

    [JsonIgnore]
    public IEnumerable<string> RunIds => TrialRuns.Where(t => t.RunId is not null).Select(t => t.RunId!);
}

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Scott.Lab.Runs.Sweeps;

/// <summary>A problem with a sweep's definition: the key it concerns (e.g. <c>parameters.optimizer.lr</c>) and what to fix.</summary>
public sealed record SweepProblem(string Key, string Message);

/// <summary>
/// Expands a sweep's parameters into trials (each a key → value assignment), or says every problem at once.
/// <list type="bullet">
/// <item>Grid: the cartesian product, first parameter slowest (nested loops in the given order). A range takes
/// <c>steps</c> points, ends included: evenly spaced, or geometrically spaced with <c>log</c>.</item>
/// <item>Random: <c>trials</c> draws with <c>System.Random(seed)</c>, parameters drawn in the given order, so the same
/// parameters and seed give the same trials. A list is drawn uniformly; a range uniformly on [min, max], or
/// log-uniformly with <c>log</c> (uniform in ln x); whole-number ranges include both ends.</item>
/// </list>
/// Computed values are rounded to <see cref="SignificantDigits"/> significant digits, so configs and comparisons read
/// 0.003 rather than 0.0030000000000000005; whole-number parameters are rounded to integers (a grid drops repeats).
/// </summary>
public static class SweepPlan
{
    /// <summary>The most trials one sweep may queue: a sweep is for a handful of runs to compare, not a job array.</summary>
    public const int MaxTrials = 64;
    public const int SignificantDigits = 4;

    /// <summary>The trials of a sweep (1-based index in list order), or the problems; never both.</summary>
    public static (IReadOnlyList<JsonObject> Trials, IReadOnlyList<SweepProblem> Problems) Expand(
        IReadOnlyList<SweepParameter> parameters, SweepMode mode, int? trials = null, int? seed = null)
    {
        var problems = Check(parameters, mode, trials);
        if (problems.Count > 0) return ([], problems);
        return mode == SweepMode.Grid ? Grid(parameters) : (Random(parameters, trials!.Value, seed ?? 0), []);
    }

    /// <summary>How many trials the sweep has, or null when its definition has problems.</summary>
    public static int? Count(IReadOnlyList<SweepParameter> parameters, SweepMode mode, int? trials = null)
    {
        if (Check(parameters, mode, trials, countOnly: true).Count > 0) return null;
        if (mode == SweepMode.Random) return trials;
        long product = 1;
        foreach (var p in parameters) product = Math.Min(product * GridValues(p).Count, long.MaxValue / 1024);
        return product > int.MaxValue ? int.MaxValue : (int)product;
    }

    private static List<SweepProblem> Check(IReadOnlyList<SweepParameter> parameters, SweepMode mode, int? trials, bool countOnly = false)
    {
        var problems = new List<SweepProblem>();
        if (parameters.Count == 0)
            problems.Add(new("parameters", "sweep at least one key, e.g. {\"optimizer.lr\": [0.001, 0.003]}."));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in parameters)
        {
            string key = "parameters." + p.Key;
            if (string.IsNullOrWhiteSpace(p.Key) || p.Key.Split('.').Any(string.IsNullOrWhiteSpace))
            {
                problems.Add(new("parameters", $"'{p.Key}' is not a spec key: use the dotted key, e.g. optimizer.lr or objective.options.mask_ratio."));
                continue;
            }
            if (p.Key == "name")
                problems.Add(new(key, "the run name is not a hyperparameter: the sweep names its runs <name>-1, <name>-2, ..."));
            if (!seen.Add(p.Key)) problems.Add(new(key, "is swept twice: give each key once, with all its values."));
            if (p.Values is { } values)
            {
                if (p.Min is not null || p.Max is not null || p.Steps is not null)
                    problems.Add(new(key, "give either values (a list) or min/max (a range), not both."));
                if (values.Count == 0) problems.Add(new(key, "the list of values is empty: give at least one value."));
                foreach (var value in values)
                    if (value is not JsonValue v || v.GetValueKind() is not (JsonValueKind.Number or JsonValueKind.String or JsonValueKind.True or JsonValueKind.False))
                        problems.Add(new(key, $"{value?.ToJsonString() ?? "null"} is not a single value: each value must be a number, a string or true/false."));
                var repeated = values.Select(v => v?.ToJsonString()).GroupBy(v => v).FirstOrDefault(g => g.Count() > 1);
                if (repeated is not null) problems.Add(new(key, $"{repeated.Key} is listed twice: each value once."));
                continue;
            }
            if (p.Min is not { } min || p.Max is not { } max || !double.IsFinite(min) || !double.IsFinite(max))
            {
                problems.Add(new(key, "a range needs finite min and max (e.g. {\"min\": 0.0001, \"max\": 0.01, \"log\": true}), or give values: [...]."));
                continue;
            }
            if (min >= max) problems.Add(new(key, $"min ({Format(min)}) must be below max ({Format(max)}); for one value, give values: [{Format(min)}]."));
            if (p.Log && min <= 0) problems.Add(new(key, $"a log range needs min > 0, got {Format(min)}."));
            if (p.Integer && (min != Math.Floor(min) || max != Math.Floor(max)))
                problems.Add(new(key, $"a whole-number range needs whole min and max, got {Format(min)}..{Format(max)}."));
            if (mode == SweepMode.Grid)
            {
                if (p.Steps is not { } steps)
                    problems.Add(new(key, "a range in a grid needs steps (how many points, ends included), e.g. \"steps\": 3."));
                else if (steps < 2 || steps > MaxTrials)
                    problems.Add(new(key, $"steps must be from 2 to {MaxTrials}, got {steps}."));
            }
            else if (p.Steps is not null)
                problems.Add(new(key, "steps applies to grid sweeps only: a random search draws from the whole range. Leave steps out, or use mode grid."));
        }
        if (mode == SweepMode.Random)
        {
            if (trials is not { } n) problems.Add(new("trials", $"a random search needs the number of trials (1 to {MaxTrials})."));
            else if (n < 1 || n > MaxTrials) problems.Add(new("trials", $"must be from 1 to {MaxTrials}, got {n}."));
        }
        else if (trials is not null)
            problems.Add(new("trials", "applies to random searches only: a grid has one trial per combination. Leave trials out, or use mode random."));

        if (problems.Count == 0 && mode == SweepMode.Grid && !countOnly)
        {
            var sizes = parameters.Select(p => GridValues(p).Count).ToList();
            double total = sizes.Aggregate(1.0, (a, b) => a * b);
            if (total > MaxTrials)
                problems.Add(new("parameters", $"the grid has {string.Join(" × ", sizes)} = {total:0} trials, over the limit of {MaxTrials}: " +
                                               "use fewer values, or a random search (mode random, trials N)."));
        }
        return problems;
    }

    private static (IReadOnlyList<JsonObject>, IReadOnlyList<SweepProblem>) Grid(IReadOnlyList<SweepParameter> parameters)
    {
        IEnumerable<JsonObject> combos = [new JsonObject()];
        foreach (var p in parameters)
        {
            var values = GridValues(p);
            combos = combos.SelectMany(combo => values.Select(v =>
            {
                var next = (JsonObject)combo.DeepClone();
                next[p.Key] = v.DeepClone();
                return next;
            })).ToList();
        }
        return (combos.ToList(), []);
    }

    /// <summary>The values a grid takes for one parameter (a list as given; a range at its steps, repeats dropped).</summary>
    public static IReadOnlyList<JsonNode> GridValues(SweepParameter p)
    {
        if (p.Values is { } values) return values.Select(v => v!.DeepClone()).ToList();
        double min = p.Min!.Value, max = p.Max!.Value;
        int steps = p.Steps ?? 2;
        var points = new List<JsonNode>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < steps; i++)
        {
            double t = (double)i / (steps - 1);
            double x = i == steps - 1 ? max : p.Log ? Math.Exp(Math.Log(min) + t * (Math.Log(max) - Math.Log(min))) : min + t * (max - min);
            var node = Value(p, x);
            if (seen.Add(node.ToJsonString())) points.Add(node);
        }
        return points;
    }

    private static List<JsonObject> Random(IReadOnlyList<SweepParameter> parameters, int trials, int seed)
    {
        var random = new Random(seed); // seeded System.Random: the same sequence for the same seed
        var result = new List<JsonObject>(trials);
        for (int i = 0; i < trials; i++)
        {
            var trial = new JsonObject();
            foreach (var p in parameters) trial[p.Key] = Draw(p, random);
            result.Add(trial);
        }
        return result;
    }

    private static JsonNode Draw(SweepParameter p, Random random)
    {
        if (p.Values is { } values) return values[random.Next(values.Count)]!.DeepClone();
        double min = p.Min!.Value, max = p.Max!.Value, u = random.NextDouble();
        if (p.Integer && !p.Log) return JsonValue.Create((long)min + (long)Math.Min(Math.Floor(u * (max - min + 1)), max - min));
        if (p.Integer) // log-uniform on [min - 0.5, max + 0.5] then rounded, so both ends are as likely as their neighbourhood
        {
            double lo = Math.Log(Math.Max(min - 0.5, min / 2)), hi = Math.Log(max + 0.5);
            return JsonValue.Create(Math.Clamp((long)Math.Round(Math.Exp(lo + u * (hi - lo))), (long)min, (long)max));
        }
        double x = p.Log ? Math.Exp(Math.Log(min) + u * (Math.Log(max) - Math.Log(min))) : min + u * (max - min);
        return Value(p, Math.Clamp(x, min, max));
    }

    private static JsonNode Value(SweepParameter p, double x) =>
        p.Integer ? JsonValue.Create((long)Math.Round(x)) : JsonValue.Create(Round(x));

    /// <summary><paramref name="x"/> to <see cref="SignificantDigits"/> significant digits.</summary>
    public static double Round(double x) =>
        x == 0 || !double.IsFinite(x) ? x : double.Parse(x.ToString("G" + SignificantDigits, CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>A trial's values in words: <c>optimizer.lr=0.001, model.depth=2</c>.</summary>
    public static string Describe(JsonObject trial) =>
        string.Join(", ", trial.Select(kv => $"{kv.Key}={(kv.Value is JsonValue v && v.TryGetValue(out string? s) ? s : kv.Value?.ToJsonString())}"));

    private static string Format(double x) => x.ToString("R", CultureInfo.InvariantCulture);
}

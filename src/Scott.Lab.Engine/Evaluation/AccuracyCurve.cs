using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Scott.Lab.Engine.Config;

namespace Scott.Lab.Engine.Evaluation;

/// <summary>
/// Which of a run's checkpoints <c>scott-lab eval --checkpoints</c> evaluates: <c>all</c>, <c>last</c>, or
/// <c>every:N</c> (every N-th checkpoint counted from the first, and always the last, so a curve ends where
/// training ended).
/// </summary>
public sealed record CheckpointSelection(int Every, bool LastOnly)
{
    public const string Syntax = "all | last | every:N";

    public static CheckpointSelection Parse(string value)
    {
        string v = value.Trim().ToLowerInvariant();
        if (v == "all") return new(1, false);
        if (v == "last") return new(1, true);
        if (v.StartsWith("every:", StringComparison.Ordinal)
            && int.TryParse(v["every:".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 1)
            return new(n, false);
        throw new ConfigException($"--checkpoints: '{value}' is not one of {Syntax} (N a positive whole number, e.g. every:4).");
    }

    /// <summary>The chosen folders, in training order (<paramref name="ordered"/> is oldest first).</summary>
    public IReadOnlyList<string> Pick(IReadOnlyList<string> ordered)
    {
        if (ordered.Count == 0) return [];
        if (LastOnly) return [ordered[^1]];
        var picked = ordered.Where((_, i) => (i + 1) % Every == 0).ToList();
        if (picked.Count == 0 || picked[^1] != ordered[^1]) picked.Add(ordered[^1]);
        return picked;
    }
}

/// <summary>One probe's test accuracy at one checkpoint (chosen on validation, like every evaluation).</summary>
public sealed record CurveResult
{
    public required string Protocol { get; init; }
    /// <summary>null = all labels.</summary>
    public int? LabelsPerClass { get; init; }
    public double Top1 { get; init; }
    public double Top5 { get; init; }
    public double ValidationTop1 { get; init; }
    public required string Selected { get; init; }
    public int Seed { get; init; }

    /// <summary>What a line of the curve is: one protocol at one label budget.</summary>
    [JsonIgnore] public string Line => LineName(Protocol, LabelsPerClass);

    /// <summary>A line's name: "knn · all labels", "linear · 100/class".</summary>
    public static string LineName(string protocol, int? labelsPerClass) =>
        protocol + (labelsPerClass is { } n ? $" · {n}/class" : " · all labels");

    public static CurveResult From(EvalResult r) => new()
    {
        Protocol = r.Protocol, LabelsPerClass = r.LabelsPerClass, Top1 = r.Top1, Top5 = r.Top5,
        ValidationTop1 = r.Validation.Top1, Selected = r.Selected, Seed = r.Seed,
    };
}

/// <summary>A checkpoint on the curve: where pre-training stood (its step and the images it had seen) and the probes' results there.</summary>
public sealed record CurvePoint
{
    public required string Checkpoint { get; init; }
    public long Step { get; init; }
    /// <summary>Pre-training images seen: steps × trainer.batch_size (the x-axis of the curve).</summary>
    public long ImagesSeen { get; init; }
    public List<CurveResult> Results { get; init; } = [];
}

/// <summary>
/// <c>RUN/eval/curve.json</c>: probe accuracy against pre-training, one point per evaluated checkpoint, in training
/// order. Evaluating more checkpoints (or more protocols and budgets) later merges into the file, so the curve grows
/// with the run instead of being recomputed.
/// </summary>
public sealed class AccuracyCurve
{
    public const string FileName = "curve.json";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public List<CurvePoint> Points { get; init; } = [];

    public static string PathIn(string runDirectory) => Path.Combine(runDirectory, "eval", FileName);

    /// <summary>The run's curve, an empty one if there is none yet; a damaged file is an error that names it (never silently replaced).</summary>
    public static AccuracyCurve Read(string runDirectory)
    {
        string file = PathIn(runDirectory);
        if (!File.Exists(file)) return new AccuracyCurve();
        return Parse(File.ReadAllText(file), file);
    }

    /// <summary>A curve from the text of a curve file (<paramref name="source"/> names it in the error).</summary>
    public static AccuracyCurve Parse(string json, string source)
    {
        try
        {
            return JsonSerializer.Deserialize<AccuracyCurve>(json, Json) ?? new AccuracyCurve();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source} is not a curve file ({e.Message}); move it away and evaluate again.", e);
        }
    }

    /// <summary>Whether <paramref name="checkpoint"/> already has every (protocol, budget) result asked for.</summary>
    public bool Has(string checkpoint, IEnumerable<(string Protocol, int? LabelsPerClass)> wanted)
    {
        var point = Points.FirstOrDefault(p => p.Checkpoint == checkpoint);
        return point is not null && wanted.All(w => point.Results.Any(r => r.Protocol == w.Protocol && r.LabelsPerClass == w.LabelsPerClass));
    }

    /// <summary>Adds a checkpoint's results; a result for the same protocol and budget replaces the older one. Points stay in step order.</summary>
    public void Merge(string checkpoint, long step, long imagesSeen, IEnumerable<CurveResult> results)
    {
        var point = Points.FirstOrDefault(p => p.Checkpoint == checkpoint);
        if (point is null)
        {
            point = new CurvePoint { Checkpoint = checkpoint, Step = step, ImagesSeen = imagesSeen };
            Points.Add(point);
        }
        foreach (var result in results)
        {
            point.Results.RemoveAll(r => r.Protocol == result.Protocol && r.LabelsPerClass == result.LabelsPerClass);
            point.Results.Add(result);
        }
        Points.Sort((a, b) => a.Step.CompareTo(b.Step));
    }

    /// <summary>Writes the file through a temporary one, so a killed eval leaves the previous curve whole.</summary>
    public void Write(string runDirectory)
    {
        string file = PathIn(runDirectory);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        string temp = file + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(this, Json));
        File.Move(temp, file, overwrite: true);
    }

    /// <summary>
    /// The curve as lines of (images seen, test top-1), one per protocol and label budget, for charts: by protocol,
    /// then all labels before the budgets from the largest down.
    /// </summary>
    public IReadOnlyList<(string Protocol, int? LabelsPerClass, IReadOnlyList<(long ImagesSeen, double Top1)> Points)> Lines() =>
        Points.SelectMany(p => p.Results.Select(r => (r.Protocol, r.LabelsPerClass, p.ImagesSeen, r.Top1)))
            .GroupBy(x => (x.Protocol, x.LabelsPerClass))
            .OrderBy(g => g.Key.Protocol, StringComparer.Ordinal).ThenByDescending(g => g.Key.LabelsPerClass ?? int.MaxValue)
            .Select(g => (g.Key.Protocol, g.Key.LabelsPerClass, (IReadOnlyList<(long, double)>)g.Select(x => (x.ImagesSeen, x.Top1)).ToList()))
            .ToList();
}

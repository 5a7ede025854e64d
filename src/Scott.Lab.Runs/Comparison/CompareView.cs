using System.Globalization;
using System.Text;

namespace Scott.Lab.Runs.Comparison;

/// <summary>What the x-axis of the metric charts counts.</summary>
public enum XAxis { Step, Epoch, Wall }

/// <summary>Which map sits beside each image in the side-by-side maps.</summary>
public enum CompareMapKind { Pca, Attention }

/// <summary>A view-state value in a comparison URL that cannot be used; the message names the key and the fix.</summary>
public sealed class CompareViewException(string message) : Exception(message);

/// <summary>
/// The whole state of a comparison view, as it lives in the query string of <c>/compare</c> and <c>/share/&lt;token&gt;</c>,
/// so that opening a URL reproduces the view exactly:
/// <c>runs=a,b&amp;metrics=loss,lr&amp;x=step|epoch|wall&amp;smooth=0.6&amp;log=1&amp;images=test-1,test-7&amp;map=pca|attention&amp;diff=all&amp;pc=loss</c>.
/// Keys at their defaults are left out of <see cref="ToQuery"/>; an empty metric list means "the default metric"
/// (loss when a run has it), decided from the data, so the same URL gives the same view on the same runs.
/// </summary>
public sealed record CompareView
{
    public const int MaxRuns = 10;
    public const int MaxImages = 8;

    public IReadOnlyList<string> Runs { get; init; } = [];
    public IReadOnlyList<string> Metrics { get; init; } = [];
    public XAxis X { get; init; } = XAxis.Step;
    /// <summary>Exponential moving average weight, 0 (raw) to 0.99, as TensorBoard's smoothing slider.</summary>
    public double Smoothing { get; init; }
    public bool LogScale { get; init; }
    public IReadOnlyList<string> Images { get; init; } = [];
    public CompareMapKind Map { get; init; } = CompareMapKind.Pca;
    /// <summary>The config diff shows only the keys whose values differ across runs (W&amp;B's "diff only").</summary>
    public bool DiffOnly { get; init; } = true;
    /// <summary>The metric of the parallel-coordinates view: a series (its last value) or <c>eval:&lt;protocol&gt;</c> (top-1); null = the first charted metric.</summary>
    public string? ParallelMetric { get; init; }

    /// <summary>The query keys of a view.</summary>
    public static readonly string[] Keys = ["runs", "metrics", "x", "smooth", "log", "images", "map", "diff", "pc"];

    /// <summary>Parses a query string (with or without the leading '?'); throws <see cref="CompareViewException"/> naming the bad key.</summary>
    public static CompareView Parse(string? query)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string pair in (query ?? "").TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=');
            string key = Uri.UnescapeDataString((eq < 0 ? pair : pair[..eq]).Replace('+', ' '));
            string value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
            values[key] = value;
        }
        return From(key => values.GetValueOrDefault(key));
    }

    /// <summary>Builds a view from query values looked up by key (null when absent).</summary>
    public static CompareView From(Func<string, string?> get)
    {
        var runs = List(get("runs"));
        if (runs.Count > MaxRuns)
            throw new CompareViewException($"runs: {runs.Count} runs given, at most {MaxRuns} can be compared at once. Remove some from runs=.");
        var images = List(get("images"));
        if (images.Count > MaxImages)
            throw new CompareViewException($"images: {images.Count} images given, at most {MaxImages} are shown side by side. Remove some from images=.");
        foreach (string image in images)
            if (!image.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
                throw new CompareViewException($"images: '{image}' is not an image id (letters, digits, '-', '_' or '.', e.g. test-12).");
        return new CompareView
        {
            Runs = runs,
            Metrics = List(get("metrics")),
            X = ParseEnum(get("x"), "x", XAxis.Step),
            Smoothing = ParseSmoothing(get("smooth")),
            LogScale = ParseBool(get("log"), "log", false),
            Images = images,
            Map = ParseEnum(get("map"), "map", CompareMapKind.Pca),
            DiffOnly = get("diff") is { Length: > 0 } diff
                ? diff.ToLowerInvariant() switch
                {
                    "only" => true,
                    "all" => false,
                    _ => throw new CompareViewException($"diff: '{diff}' must be 'only' (the keys that differ) or 'all'."),
                }
                : true,
            ParallelMetric = string.IsNullOrWhiteSpace(get("pc")) ? null : get("pc")!.Trim(),
        };
    }

    /// <summary>
    /// The query string (no '?') of this view; default values are left out unless <paramref name="full"/> (a share
    /// link without a query shows the view it was shared with, so a changed view there must say every key).
    /// </summary>
    public string ToQuery(bool full = false)
    {
        var parts = new List<string>();
        void Add(string key, string value) => parts.Add(key + "=" + Escape(value));
        if (Runs.Count > 0) Add("runs", string.Join(',', Runs));
        if (Metrics.Count > 0) Add("metrics", string.Join(',', Metrics));
        if (full || X != XAxis.Step) Add("x", X.ToString().ToLowerInvariant());
        if (full || Smoothing > 0) Add("smooth", Smoothing.ToString("0.###", CultureInfo.InvariantCulture));
        if (full || LogScale) Add("log", LogScale ? "1" : "0");
        if (Images.Count > 0) Add("images", string.Join(',', Images));
        if (full || Map != CompareMapKind.Pca) Add("map", Map.ToString().ToLowerInvariant());
        if (full || !DiffOnly) Add("diff", DiffOnly ? "only" : "all");
        if (ParallelMetric is not null) Add("pc", ParallelMetric);
        return string.Join('&', parts);
    }

    // Commas separate list items, so they stay readable in the URL; everything else is escaped.
    private static string Escape(string value)
    {
        var sb = new StringBuilder();
        foreach (string piece in value.Split(',')) { if (sb.Length > 0) sb.Append(','); sb.Append(Uri.EscapeDataString(piece)); }
        return sb.ToString();
    }

    private static List<string> List(string? value) =>
        (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToList();

    private static T ParseEnum<T>(string? value, string key, T fallback) where T : struct, Enum
    {
        if (string.IsNullOrWhiteSpace(value)) return fallback;
        if (Enum.TryParse<T>(value, ignoreCase: true, out var parsed) && !int.TryParse(value, out _)) return parsed;
        throw new CompareViewException($"{key}: '{value}' must be one of {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}.");
    }

    private static bool ParseBool(string? value, string key, bool fallback) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" => fallback,
        "1" or "true" or "yes" or "on" => true,
        "0" or "false" or "no" or "off" => false,
        _ => throw new CompareViewException($"{key}: '{value}' must be 1 or 0 (true or false)."),
    };

    private static double ParseSmoothing(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return 0;
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s is >= 0 and <= 0.99) return s;
        throw new CompareViewException($"smooth: '{value}' must be a number from 0 (raw curves) to 0.99, e.g. smooth=0.6.");
    }
}

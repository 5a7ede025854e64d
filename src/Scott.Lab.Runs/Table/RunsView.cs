using System.Text;

namespace Scott.Lab.Runs.Table;

/// <summary>
/// The whole state of the runs table as it lives in the query string of <c>/runs</c>, so that a reload or a copied
/// link shows the same view: <c>q=text&amp;status=Completed&amp;tag=baseline&amp;cols=model.width,metric.loss.best&amp;group=objective&amp;filter=...&amp;sort=-created</c>.
/// Keys at their defaults are left out. Parsing is lenient: a bad value is dropped and reported in <see cref="Problems"/>
/// (a stale link still opens), so the page can say what it ignored.
/// </summary>
public sealed record RunsView
{
    public const string DefaultSort = "created";
    public const int MaxColumns = 30;

    public string? Search { get; init; }
    public RunStatus? Status { get; init; }
    public string? Tag { get; init; }
    /// <summary>Columns added to the table's own, in order (keys of <see cref="RunColumns"/>).</summary>
    public IReadOnlyList<string> Columns { get; init; } = [];
    /// <summary>The column the rows are grouped by; null: no groups.</summary>
    public string? GroupBy { get; init; }
    /// <summary>The filter expression as typed (<see cref="RunFilter"/>).</summary>
    public string? Filter { get; init; }
    public string Sort { get; init; } = DefaultSort;
    public bool Descending { get; init; } = true;
    /// <summary>What parsing dropped, one message per bad value.</summary>
    public IReadOnlyList<string> Problems { get; init; } = [];

    public static readonly string[] Keys = ["q", "status", "tag", "cols", "group", "filter", "sort"];

    /// <summary>Parses a query string (with or without the leading '?').</summary>
    public static RunsView Parse(string? query)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string pair in (query ?? "").TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=');
            string key = Unescape(eq < 0 ? pair : pair[..eq]);
            values[key] = eq < 0 ? "" : Unescape(pair[(eq + 1)..]);
        }
        string? Get(string key) => values.TryGetValue(key, out string? v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

        var problems = new List<string>();
        RunStatus? status = null;
        if (Get("status") is { } s)
        {
            if (Enum.TryParse<RunStatus>(s, ignoreCase: true, out var parsed) && !int.TryParse(s, out _)) status = parsed;
            else problems.Add($"status: '{s}' is not a status (one of {string.Join(", ", Enum.GetNames<RunStatus>())}); it is ignored.");
        }
        var columns = (Get("cols") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(RunColumns.Canonical).Distinct(StringComparer.Ordinal).ToList();
        if (columns.Count > MaxColumns)
        {
            problems.Add($"cols: {columns.Count} columns given, the table shows at most {MaxColumns}; the rest are left out.");
            columns = columns.Take(MaxColumns).ToList();
        }
        string sort = DefaultSort;
        bool descending = true;
        if (Get("sort") is { } by)
        {
            descending = by.StartsWith('-');
            sort = RunColumns.Canonical(by.TrimStart('-', '+'));
            if (sort.Length == 0) (sort, descending) = (DefaultSort, true);
        }
        return new RunsView
        {
            Search = Get("q"),
            Status = status,
            Tag = Get("tag"),
            Columns = columns,
            GroupBy = Get("group") is { } g ? RunColumns.Canonical(g) : null,
            Filter = Get("filter"),
            Sort = sort,
            Descending = descending,
            Problems = problems,
        };
    }

    /// <summary>The query string (no '?') of this view, defaults left out.</summary>
    public string ToQuery()
    {
        var parts = new List<string>();
        void Add(string key, string? value) { if (!string.IsNullOrWhiteSpace(value)) parts.Add(key + "=" + Escape(value)); }
        Add("q", Search);
        Add("status", Status?.ToString());
        Add("tag", Tag);
        Add("cols", string.Join(',', Columns));
        Add("group", GroupBy);
        Add("filter", Filter);
        if (Sort != DefaultSort || !Descending) Add("sort", (Descending ? "-" : "") + Sort);
        return string.Join('&', parts);
    }

    /// <summary>Sorting by a column: the same column again flips the order; another starts descending for numbers and dates, ascending for text.</summary>
    public RunsView SortedBy(string key, bool numeric) =>
        Sort == key ? this with { Descending = !Descending } : this with { Sort = key, Descending = numeric };

    // Commas and dots stay readable in a URL (cols=model.width,metric.loss.last); everything else is escaped.
    private static string Escape(string value)
    {
        var sb = new StringBuilder();
        foreach (string piece in value.Split(',')) { if (sb.Length > 0) sb.Append(','); sb.Append(Uri.EscapeDataString(piece)); }
        return sb.ToString();
    }

    private static string Unescape(string value) => Uri.UnescapeDataString(value.Replace('+', ' '));
}

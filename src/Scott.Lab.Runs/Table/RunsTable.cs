namespace Scott.Lab.Runs.Table;

/// <summary>A group of rows: the value they share in the grouping column ("(none)" for runs without one).</summary>
public sealed record RunGroup(string Value, IReadOnlyList<RunRow> Rows);

/// <summary>The runs table for a view: the rows that pass its filters, sorted and grouped, and what can be added.</summary>
public sealed class RunsTable
{
    public const string NoValue = "(none)";

    /// <summary>Every row the store's search, status and tag let through (before the filter expression).</summary>
    public IReadOnlyList<RunRow> AllRows { get; init; } = [];
    /// <summary>The rows the filter expression keeps, in the view's order.</summary>
    public IReadOnlyList<RunRow> Rows { get; init; } = [];
    /// <summary>The rows by the view's group column (one group holding every row when the view has none).</summary>
    public IReadOnlyList<RunGroup> Groups { get; init; } = [];
    /// <summary>Every column the runs have: what the column picker offers and the filter accepts.</summary>
    public IReadOnlyList<RunColumn> Available { get; init; } = [];
    /// <summary>The filter expression's error, when it has one (the rows are then not filtered by it).</summary>
    public string? FilterError { get; init; }

    /// <summary>Reads the runs of a view from the store: records, metric summaries (kept up to date) and evaluations.</summary>
    public static RunsTable Load(RunStore store, RunsView view, int limit = 500)
    {
        var runs = store.List(new RunQuery(view.Search, view.Status, view.Tag, limit));
        var summaries = new RunMetricSummaries(store).For(runs);
        var evaluations = store.EvaluationsOf(runs.Select(r => r.Id).ToList());
        var now = DateTime.UtcNow;
        var rows = runs.Select(r => new RunRow(r, summaries.GetValueOrDefault(r.Id), evaluations.GetValueOrDefault(r.Id) ?? [], now)).ToList();
        var table = Build(rows, view);
        bool narrowed = view.Search is not null || view.Status is not null || view.Tag is not null;
        if (table.FilterError is null || !narrowed) return table;
        // A search, status or tag can leave out every run that has a column the filter names: that column is still
        // one of the store's, not a typo. Only then are the other runs' keys read (records and stored summaries).
        var all = store.List(new RunQuery(Limit: limit));
        var allEvaluations = store.EvaluationsOf(all.Select(r => r.Id).ToList());
        var stored = new RunMetricSummaries(store).Stored(all.Select(r => r.Id).ToList());
        var storeColumns = RunColumns.Available(all.Select(r => new RunRow(r, stored.GetValueOrDefault(r.Id), allEvaluations.GetValueOrDefault(r.Id) ?? [], now)))
            .Select(c => c.Key).ToList();
        return Build(rows, view, storeColumns);
    }

    /// <summary>
    /// Filters, sorts and groups rows for a view (pure: what <see cref="Load"/> does once it has read the store). The
    /// filter may name the rows' columns and <paramref name="moreColumns"/> (those of runs the view leaves out).
    /// </summary>
    public static RunsTable Build(IReadOnlyList<RunRow> rows, RunsView view, IEnumerable<string>? moreColumns = null)
    {
        var available = RunColumns.Available(rows);
        string? error = null;
        IEnumerable<RunRow> kept = rows;
        try
        {
            var known = available.Select(c => c.Key).Concat(moreColumns ?? []).ToHashSet(StringComparer.Ordinal);
            if (RunFilter.Parse(view.Filter, known) is { } filter)
                kept = rows.Where(filter.Matches);
        }
        catch (RunFilterException e)
        {
            error = e.Message;
        }
        var sorted = Sort(kept, view.Sort, view.Descending).ToList();
        return new RunsTable { AllRows = rows, Rows = sorted, Groups = Group(sorted, view.GroupBy), Available = available, FilterError = error };
    }

    /// <summary>Rows by a column; runs without a value last, whichever the direction.</summary>
    public static IEnumerable<RunRow> Sort(IEnumerable<RunRow> rows, string key, bool descending)
    {
        var keyed = rows.Select(r => (Row: r, Cell: r.Values(key).Cast<Cell?>().FirstOrDefault())).ToList();
        var present = keyed.Where(k => k.Cell is not null).ToList();
        var ordered = descending
            ? present.OrderByDescending(k => k.Cell!.Value, CellComparer.Instance)
            : present.OrderBy(k => k.Cell!.Value, CellComparer.Instance);
        return ordered.Concat(keyed.Where(k => k.Cell is null)).Select(k => k.Row);
    }

    /// <summary>
    /// Groups in order of their first row (so a sorted table stays sorted inside and across groups). A run with
    /// several values (tags) is in each of their groups; a run with none is in "(none)", last.
    /// </summary>
    public static IReadOnlyList<RunGroup> Group(IReadOnlyList<RunRow> rows, string? key)
    {
        if (string.IsNullOrWhiteSpace(key)) return [new RunGroup("", rows)];
        var groups = new Dictionary<string, List<RunRow>>(StringComparer.OrdinalIgnoreCase);
        var order = new List<string>();
        foreach (var row in rows)
        {
            var values = row.Values(key).Select(c => c.Text).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            if (values.Count == 0) values.Add(NoValue);
            foreach (string value in values)
            {
                if (!groups.TryGetValue(value, out var list)) { groups[value] = list = []; order.Add(value); }
                list.Add(row);
            }
        }
        return order.OrderBy(v => v == NoValue).Select(v => new RunGroup(v, groups[v])).ToList();
    }

    /// <summary>Numbers by value, before texts; texts ignoring case.</summary>
    private sealed class CellComparer : IComparer<Cell>
    {
        public static readonly CellComparer Instance = new();
        public int Compare(Cell a, Cell b) => (a.Number, b.Number) switch
        {
            ({ } x, { } y) => x.CompareTo(y),
            (not null, null) => -1,
            (null, not null) => 1,
            _ => string.Compare(a.Text, b.Text, StringComparison.OrdinalIgnoreCase),
        };
    }
}

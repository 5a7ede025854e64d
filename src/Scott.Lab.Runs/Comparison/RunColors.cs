namespace Scott.Lab.Runs.Comparison;

/// <summary>
/// Per-run colours that stay the same on every page (runs list, comparison, snapshot, exports): a run's colour is
/// picked by a hash of its id (FNV-1a, stable across processes, unlike string.GetHashCode) in a 10-colour palette
/// (Tableau 10). When two runs of one comparison hash to the same colour, the later one in the URL takes the next
/// free colour, so every comparison of up to 10 runs has distinct colours.
/// </summary>
public static class RunColors
{
    public static readonly string[] Palette =
        ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

    public static int PreferredIndex(string runId)
    {
        uint hash = 2166136261;
        foreach (char c in runId) { hash ^= c; hash *= 16777619; }
        return (int)(hash % (uint)Palette.Length);
    }

    /// <summary>A colour per run id, in order; distinct for up to <see cref="Palette"/>.Length runs.</summary>
    public static Dictionary<string, string> Assign(IEnumerable<string> runIds)
    {
        var taken = new bool[Palette.Length];
        var colors = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string id in runIds)
        {
            if (colors.ContainsKey(id)) continue;
            int index = PreferredIndex(id);
            for (int probe = 0; probe < Palette.Length && taken[index]; probe++) index = (index + 1) % Palette.Length;
            taken[index] = true;
            colors[id] = Palette[index];
        }
        return colors;
    }
}

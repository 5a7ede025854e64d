using System.Text.Json.Nodes;

namespace Scott.Lab.Engine.Config;

/// <summary>
/// Spec keys that were removed. A spec written by hand that still names one gets a one-line error saying where the
/// value lives now; a spec the lab stored itself (every default written out, so it names them all) is upgraded by
/// <see cref="Strip"/> when it is read back.
/// </summary>
public static class RetiredKeys
{
    private static readonly (string Section, string Key, string Why)[] Retired =
    [
        ("model", "predictor_depth",
            "was removed: it never acted. MIM-JEPA's predictor depth is objective.options.predictor_depth; move the value there."),
    ];

    /// <summary>One problem per retired key the tree names.</summary>
    public static IEnumerable<SpecProblem> Problems(JsonObject tree) =>
        from r in Retired
        where tree[r.Section] is JsonObject section && section.ContainsKey(r.Key)
        select new SpecProblem($"{r.Section}.{r.Key}", r.Why);

    /// <summary>Removes the retired keys from a stored spec (in place); true when it had any.</summary>
    public static bool Strip(JsonObject tree)
    {
        bool changed = false;
        foreach (var (section, key, _) in Retired)
            if (tree[section] is JsonObject s && s.Remove(key)) changed = true;
        return changed;
    }
}

using System.Globalization;
using System.Text.Json.Nodes;
using Scott.Lab.Runs.Sweeps;

namespace Scott.Lab.Web.Components.Forms;

/// <summary>
/// What a person typed to sweep one field of a form: a comma-separated list of values, or (numbers only) a range
/// with min, max, the grid's number of steps and log spacing. <see cref="Read"/> turns it into a
/// <see cref="SweepParameter"/> or says what is wrong, in the form's words.
/// </summary>
public sealed class SweepInput
{
    public bool IsRange { get; set; }
    public string Values { get; set; } = "";
    public string Min { get; set; } = "";
    public string Max { get; set; } = "";
    public string Steps { get; set; } = "3";
    public bool Log { get; set; }

    /// <summary>Fields that can be swept: numbers (a list or a range) and choices (a list).</summary>
    public static bool CanSweep(OptionField field) => field.Kind is OptionFieldKind.Integer or OptionFieldKind.Number or OptionFieldKind.Choice;

    public static bool CanRange(OptionField field) => field.Kind is OptionFieldKind.Integer or OptionFieldKind.Number;

    /// <summary>The sweep of <paramref name="field"/> (at <paramref name="fullKey"/>) for a grid or a random search, or the problem.</summary>
    public (SweepParameter? Parameter, string? Error) Read(OptionField field, string fullKey, SweepMode mode)
    {
        if (!IsRange || !CanRange(field))
        {
            var values = new JsonArray();
            foreach (string part in Values.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var (node, error) = OptionsFormModel.Parse(field, part);
                if (error is not null) return (null, $"sweep value '{part}' {error}");
                if (field.Kind == OptionFieldKind.Choice && !field.Choices.Contains(part))
                    return (null, $"sweep value '{part}' is not one of {string.Join(", ", field.Choices)}");
                values.Add(node);
            }
            if (values.Count < 2)
                return (null, field.Kind == OptionFieldKind.Choice
                    ? $"sweep: list two or more of {string.Join(", ", field.Choices)}, separated by commas"
                    : "sweep: list two or more values separated by commas (e.g. 0.001, 0.003), or use a range");
            return (new SweepParameter { Key = fullKey, Values = values }, null);
        }
        if (!TryNumber(Min, out double min)) return (null, $"sweep: min must be a number, got '{Min}'");
        if (!TryNumber(Max, out double max)) return (null, $"sweep: max must be a number, got '{Max}'");
        int? steps = null;
        if (mode == SweepMode.Grid)
        {
            if (!int.TryParse(Steps.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int n))
                return (null, $"sweep: steps must be a whole number (how many points of the range), got '{Steps}'");
            steps = n;
        }
        var parameter = SweepParameter.Range(fullKey, min, max, steps, Log, integer: field.Kind == OptionFieldKind.Integer);
        // The plan's own checks (min < max, log > 0, steps 2..64), worded for this one field.
        var (_, problems) = SweepPlan.Expand([parameter], mode, mode == SweepMode.Random ? 1 : null);
        return problems.Count > 0 ? (null, "sweep: " + problems[0].Message) : (parameter, null);
    }

    private static bool TryNumber(string text, out double value) =>
        double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
}

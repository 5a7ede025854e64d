using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using System.Text.Json;

namespace Scott.Lab.Engine.Config;

/// <summary>
/// Validates an options object with its DataAnnotations and phrases each problem with the config key it came from
/// (e.g. <c>optimizer.lr: must be between 0 (exclusive) and 10, got -0.001</c>). Shared by the CLI and the portal.
/// </summary>
public static class OptionsValidator
{
    /// <summary>Every problem of <paramref name="options"/>, each under its full key (<paramref name="keyPrefix"/>.snake_case_name).</summary>
    public static IReadOnlyList<SpecProblem> Validate(object options, string keyPrefix)
    {
        var problems = new List<SpecProblem>();
        foreach (var property in options.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0) continue;
            object? value = property.GetValue(options);
            string key = Key(keyPrefix, property.Name);
            foreach (var attribute in property.GetCustomAttributes<ValidationAttribute>())
            {
                if (value is null && attribute is not RequiredAttribute) continue;
                if (attribute.IsValid(value)) continue;
                problems.Add(new SpecProblem(key, Describe(attribute, value)));
            }
        }
        if (options is IValidatableObject validatable)
            foreach (var result in validatable.Validate(new ValidationContext(options)))
            {
                string member = result.MemberNames.FirstOrDefault() ?? "";
                problems.Add(new SpecProblem(member.Length > 0 ? Key(keyPrefix, member) : keyPrefix, result.ErrorMessage ?? "is not valid"));
            }
        return problems;
    }

    /// <summary>Config keys are snake_case: <c>BatchSize</c> → <c>batch_size</c>.</summary>
    public static string Key(string prefix, string memberName)
    {
        string snake = JsonNamingPolicy.SnakeCaseLower.ConvertName(memberName);
        return prefix.Length == 0 ? snake : $"{prefix}.{snake}";
    }

    private static string Describe(ValidationAttribute attribute, object? value) => attribute switch
    {
        RequiredAttribute r when r.ErrorMessage is not null => r.ErrorMessage,
        RequiredAttribute => "is required",
        RangeAttribute range => $"must be between {Bound(range.Minimum, range.MinimumIsExclusive)} and {Bound(range.Maximum, range.MaximumIsExclusive)}, got {Show(value)}",
        AllowedValuesAttribute allowed => $"must be one of {string.Join(", ", allowed.Values.Select(v => v?.ToString()))}, got {Show(value)}",
        _ => $"{attribute.FormatErrorMessage("value")} (got {Show(value)})",
    };

    private static string Bound(object bound, bool exclusive) => Show(bound) + (exclusive ? " (exclusive)" : "");

    private static string Show(object? value) => value switch
    {
        null => "nothing",
        string s => $"'{s}'",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}

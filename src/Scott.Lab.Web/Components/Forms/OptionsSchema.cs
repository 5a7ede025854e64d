using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using System.Text.Json.Serialization;
using Scott.Lab.Engine.Config;

namespace Scott.Lab.Web.Components.Forms;

/// <summary>How a field is edited.</summary>
public enum OptionFieldKind { Switch, Integer, Number, Choice, Text, NumberList, IntegerList }

/// <summary>One editable option: a public settable property of an options type, described by its DataAnnotations.</summary>
public sealed record OptionField(
    PropertyInfo Property,
    string Key,
    string Label,
    string? Description,
    OptionFieldKind Kind,
    bool Nullable,
    Type ValueType,
    double? Min,
    double? Max,
    bool MinExclusive,
    bool MaxExclusive,
    IReadOnlyList<string> Choices,
    object? DefaultValue)
{
    /// <summary>The range as a hint under the field, e.g. "0 (exclusive) to 10".</summary>
    public string? RangeText => (Min, Max) switch
    {
        (null, null) => null,
        (_, { } max) when Math.Abs(max) >= 1e15 => $"at least {Bound(Min, MinExclusive)}",
        _ => $"{Bound(Min, MinExclusive)} to {Bound(Max, MaxExclusive)}",
    };

    /// <summary>HTML min/max attributes only when they are finite and representable (long.MaxValue is not useful).</summary>
    public string? HtmlMin => Min is { } m && Math.Abs(m) < 1e15 && !MinExclusive ? Format(m) : null;
    public string? HtmlMax => Max is { } m && Math.Abs(m) < 1e15 && !MaxExclusive ? Format(m) : null;

    private static string Bound(double? value, bool exclusive) =>
        value is null ? "any" : Format(value.Value) + (exclusive ? " (exclusive)" : "");

    /// <summary>Round-trippable and YAML-like: 0.001, 1e-06 (not .NET's 1E-06).</summary>
    internal static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);
}

/// <summary>
/// The editable fields of an options type (a plugin's OptionsType, or the engine's ModelOptions / OptimizerOptions /
/// TrainerOptions / AugmentOptions), read once per type by reflection. Keys are the config's snake_case keys.
/// </summary>
public sealed class OptionsSchema
{
    private static readonly Dictionary<Type, OptionsSchema> Cache = [];

    private OptionsSchema(Type type, IReadOnlyList<OptionField> fields, IReadOnlyList<string> skipped)
    {
        Type = type;
        Fields = fields;
        Skipped = skipped;
    }

    public Type Type { get; }
    public IReadOnlyList<OptionField> Fields { get; }
    /// <summary>Settable properties of a type the form cannot edit (they keep their defaults).</summary>
    public IReadOnlyList<string> Skipped { get; }

    public OptionField? Field(string key) => Fields.FirstOrDefault(f => f.Key == key);

    public static OptionsSchema For(Type type)
    {
        lock (Cache)
        {
            if (Cache.TryGetValue(type, out var cached)) return cached;
            var schema = Build(type);
            Cache[type] = schema;
            return schema;
        }
    }

    private static OptionsSchema Build(Type type)
    {
        if (type.GetConstructor(Type.EmptyTypes) is null)
            throw new ArgumentException($"{type.Name} needs a public parameterless constructor to be edited in a form.");
        object defaults = Activator.CreateInstance(type)!;
        var fields = new List<OptionField>();
        var skipped = new List<string>();
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (!property.CanWrite || property.SetMethod is not { IsPublic: true } || property.GetIndexParameters().Length > 0) continue;
            if (property.GetCustomAttribute<JsonIgnoreAttribute>() is not null) continue;
            string key = OptionsValidator.Key("", property.Name);
            var field = Describe(property, key, property.GetValue(defaults));
            if (field is null) skipped.Add(key);
            else fields.Add(field);
        }
        return new OptionsSchema(type, fields, skipped);
    }

    private static OptionField? Describe(PropertyInfo property, string key, object? defaultValue)
    {
        var declared = property.PropertyType;
        var underlying = System.Nullable.GetUnderlyingType(declared);
        bool nullable = underlying is not null
                        || (!declared.IsValueType && new NullabilityInfoContext().Create(property).WriteState == NullabilityState.Nullable);
        var type = underlying ?? declared;

        var display = property.GetCustomAttribute<DisplayAttribute>();
        string label = display?.GetName() ?? key;
        string? description = property.GetCustomAttribute<DescriptionAttribute>()?.Description ?? display?.GetDescription();
        var range = property.GetCustomAttribute<RangeAttribute>();
        double? min = range is null ? null : ToDouble(range.Minimum);
        double? max = range is null ? null : ToDouble(range.Maximum);
        var allowed = property.GetCustomAttribute<AllowedValuesAttribute>();

        OptionFieldKind? kind;
        IReadOnlyList<string> choices = [];
        if (type == typeof(bool)) kind = OptionFieldKind.Switch;
        else if (type.IsEnum)
        {
            kind = OptionFieldKind.Choice;
            // The config spells enum values the way ConfigLoader's converter writes them (snake_case).
            choices = Enum.GetNames(type).Select(n => OptionsValidator.Key("", n)).ToList();
        }
        else if (type == typeof(string) && allowed is not null)
        {
            kind = OptionFieldKind.Choice;
            choices = allowed.Values.Select(v => v?.ToString() ?? "").ToList();
        }
        else if (type == typeof(string)) kind = OptionFieldKind.Text;
        else if (type == typeof(int) || type == typeof(long) || type == typeof(short)) kind = OptionFieldKind.Integer;
        else if (type == typeof(double) || type == typeof(float) || type == typeof(decimal)) kind = OptionFieldKind.Number;
        else if (type == typeof(double[]) || type == typeof(float[])) kind = OptionFieldKind.NumberList;
        else if (type == typeof(int[]) || type == typeof(long[])) kind = OptionFieldKind.IntegerList;
        else kind = null;
        if (kind is null) return null;

        return new OptionField(property, key, label, description, kind.Value, nullable, type, min, max,
            range?.MinimumIsExclusive ?? false, range?.MaximumIsExclusive ?? false, choices, defaultValue);
    }

    private static double? ToDouble(object? bound) => bound switch
    {
        null => null,
        IConvertible c => c.ToDouble(CultureInfo.InvariantCulture),
        _ => null,
    };
}

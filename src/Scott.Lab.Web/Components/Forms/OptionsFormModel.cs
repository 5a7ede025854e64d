using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Scott.Lab.Engine.Config;
using Scott.Lab.Web.Features.Sessions;

namespace Scott.Lab.Web.Components.Forms;

/// <summary>
/// The state behind a generated options form: the text of each field as typed, the bound options object and the
/// problems found. Binding goes through ConfigLoader's JSON settings and OptionsValidator, so the form says exactly
/// what the CLI and the launcher would say. UI-free, so pages and tests can read <see cref="IsValid"/> and
/// <see cref="ToJson"/> at any time.
/// </summary>
public sealed class OptionsFormModel
{
    private readonly Dictionary<string, string> _texts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, bool> _switches = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _fieldErrors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _externalErrors = new(StringComparer.Ordinal);
    private readonly List<string> _formErrors = [];
    private readonly List<string> _warnings = [];
    private JsonObject _json = [];

    public OptionsFormModel(Type optionsType, JsonObject? values = null, string keyPrefix = "")
    {
        Schema = OptionsSchema.For(optionsType);
        KeyPrefix = keyPrefix;
        Load(values);
        Validate();
    }

    public OptionsSchema Schema { get; }
    public Type OptionsType => Schema.Type;
    /// <summary>Where these options sit in a run spec, e.g. "optimizer" or "tokenizer.options"; prefixes every message.</summary>
    public string KeyPrefix { get; }
    /// <summary>The options object bound from the fields (null while a field cannot be parsed).</summary>
    public object? Bound { get; private set; }
    /// <summary>True when every field parses and OptionsValidator finds nothing.</summary>
    public bool IsValid => _fieldErrors.Count == 0 && _formErrors.Count == 0;
    /// <summary>Problems that belong to no single field, plus every field problem with its full key ("optimizer.lr: ...").</summary>
    public IReadOnlyList<string> AllErrors => [.. _formErrors, .. _fieldErrors.SelectMany(kv => kv.Value.Select(m => $"{FullKey(kv.Key)}: {m}"))];
    public IReadOnlyList<string> FormErrors => _formErrors;
    /// <summary>Keys of the incoming values that the options type does not have (dropped from the output).</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    public string FullKey(string key) => KeyPrefix.Length == 0 ? key : $"{KeyPrefix}.{key}";

    public string GetText(string key) => _texts.GetValueOrDefault(key, "");
    public bool GetSwitch(string key) => _switches.GetValueOrDefault(key);

    /// <summary>The field's own problems (validator, parsing) and those the launcher reported for its key.</summary>
    public IReadOnlyList<string> ErrorsOf(string key) =>
        [.. _fieldErrors.GetValueOrDefault(key) ?? [], .. _externalErrors.GetValueOrDefault(key) ?? []];

    public void SetText(string key, string? text)
    {
        _texts[key] = text ?? "";
        _externalErrors.Remove(key);
        Validate();
    }

    public void SetSwitch(string key, bool value)
    {
        _switches[key] = value;
        _externalErrors.Remove(key);
        Validate();
    }

    /// <summary>
    /// Takes the launcher's errors whose key falls under <see cref="KeyPrefix"/> (e.g. "optimizer.lr") and shows them
    /// under their fields; returns those it could not place on a field.
    /// </summary>
    public IReadOnlyList<SpecProblem> ApplyExternalErrors(IEnumerable<SpecProblem> errors)
    {
        _externalErrors.Clear();
        var unplaced = new List<SpecProblem>();
        foreach (var error in errors)
        {
            string? key = LocalKey(error.Key);
            if (key is not null && Schema.Field(key) is not null)
            {
                if (!_externalErrors.TryGetValue(key, out var list)) _externalErrors[key] = list = [];
                list.Add(error.Message);
            }
            else unplaced.Add(error);
        }
        return unplaced;
    }

    /// <summary>Every field's value in snake_case keys (nulls included, so a cleared optional field stays cleared).</summary>
    public JsonObject ToJson() => (JsonObject)_json.DeepClone();

    // ---- sweeps ----------------------------------------------------------------------------------------------

    private readonly Dictionary<string, SweepInput> _sweeps = new(StringComparer.Ordinal);

    /// <summary>The sweep typed for a field, or null when the field is not swept.</summary>
    public SweepInput? SweepOf(string key) => _sweeps.GetValueOrDefault(key);

    /// <summary>Starts sweeping a number or choice field (its current value first in the list), or stops.</summary>
    public void ToggleSweep(string key)
    {
        if (_sweeps.Remove(key)) return;
        if (Schema.Field(key) is not { } field || !SweepInput.CanSweep(field)) return;
        _sweeps[key] = new SweepInput { Values = GetText(key), Min = GetText(key) };
    }

    /// <summary>The fields being swept, in the form's order.</summary>
    public IEnumerable<OptionField> SweptFields => Schema.Fields.Where(f => _sweeps.ContainsKey(f.Key));

    /// <summary>Each swept field's parameter (full key) for a grid or a random search, and the problems of those that do not read.</summary>
    public (IReadOnlyList<Runs.Sweeps.SweepParameter> Parameters, IReadOnlyList<string> Errors) Sweeps(Runs.Sweeps.SweepMode mode)
    {
        var parameters = new List<Runs.Sweeps.SweepParameter>();
        var errors = new List<string>();
        foreach (var field in SweptFields)
        {
            var (parameter, error) = _sweeps[field.Key].Read(field, FullKey(field.Key), mode);
            if (parameter is not null) parameters.Add(parameter);
            else errors.Add($"{FullKey(field.Key)}: {error}");
        }
        return (parameters, errors);
    }

    // ---- loading -------------------------------------------------------------------------------------------

    private void Load(JsonObject? values)
    {
        foreach (var field in Schema.Fields)
        {
            JsonNode? node = null;
            bool given = values is not null && values.TryGetPropertyValue(field.Key, out node);
            if (field.Kind == OptionFieldKind.Switch)
                _switches[field.Key] = given ? ReadBool(node) : field.DefaultValue is true;
            else
                _texts[field.Key] = given ? TextOf(field, node) : TextOfValue(field, field.DefaultValue);
        }
        if (values is null) return;
        foreach (var (key, _) in values)
            if (Schema.Field(key) is null && !Schema.Skipped.Contains(key))
                _warnings.Add($"{FullKey(key)}: unknown key, dropped (allowed: {string.Join(", ", Schema.Fields.Select(f => f.Key))})");
    }

    private static bool ReadBool(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue(out bool b) => b,
        JsonValue v when v.TryGetValue(out string? s) => bool.TryParse(s, out bool parsed) && parsed,
        _ => false,
    };

    private static string TextOf(OptionField field, JsonNode? node) => node switch
    {
        null => "",
        JsonArray array => string.Join(", ", array.Select(item => item is JsonValue v && v.TryGetValue(out string? s) ? s : item?.ToJsonString() ?? "")),
        JsonValue v when v.TryGetValue(out string? s) => field.Kind == OptionFieldKind.Choice ? MatchChoice(field, s) : s,
        JsonValue v when v.TryGetValue(out double d) => OptionField.Format(d),
        _ => node.ToJsonString(),
    };

    // Enum values may arrive as "Blockwise" (C# name) or "blockwise" (config spelling): show the config spelling.
    private static string MatchChoice(OptionField field, string value) =>
        field.Choices.FirstOrDefault(c => string.Equals(c, value, StringComparison.OrdinalIgnoreCase)) ?? value;

    private static string TextOfValue(OptionField field, object? value) => value switch
    {
        null => "",
        Enum e => OptionsValidator.Key("", e.ToString()),
        double d => OptionField.Format(d),
        float f => OptionField.Format(f),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        System.Collections.IEnumerable items and not string => string.Join(", ", items.Cast<object>().Select(i => TextOfValue(field, i))),
        _ => value.ToString() ?? "",
    };

    // ---- parsing and validation ----------------------------------------------------------------------------

    private void Validate()
    {
        _fieldErrors.Clear();
        _formErrors.Clear();
        var json = new JsonObject();
        foreach (var field in Schema.Fields)
        {
            if (field.Kind == OptionFieldKind.Switch)
            {
                json[field.Key] = _switches.GetValueOrDefault(field.Key);
                continue;
            }
            var (node, error) = Parse(field, GetText(field.Key));
            if (error is not null) AddFieldError(field.Key, error);
            else json[field.Key] = node;
        }
        _json = json;
        Bound = null;
        if (_fieldErrors.Count > 0) return;

        try
        {
            Bound = json.Deserialize(Schema.Type, ConfigLoader.Json);
        }
        catch (JsonException e)
        {
            string key = (e.Path ?? "$").TrimStart('$').TrimStart('.');
            string message = $"has the wrong type or is out of range for {Schema.Field(key)?.ValueType.Name ?? "the field"}";
            if (Schema.Field(key) is not null) AddFieldError(key, message);
            else _formErrors.Add($"{FullKey(key)}: {message}");
            return;
        }
        if (Bound is null) return;

        foreach (var problem in OptionsValidator.Validate(Bound, KeyPrefix))
        {
            // Put the message under the field its key names; anything else belongs to the form as a whole.
            string? key = problem.Key.Length > 0 ? LocalKey(problem.Key) : null;
            if (key is not null && Schema.Field(key) is not null) AddFieldError(key, problem.Message);
            else _formErrors.Add(problem.ToString());
        }
    }

    private string? LocalKey(string fullKey)
    {
        if (KeyPrefix.Length == 0) return fullKey;
        return fullKey.StartsWith(KeyPrefix + ".", StringComparison.Ordinal) ? fullKey[(KeyPrefix.Length + 1)..] : null;
    }

    private void AddFieldError(string key, string message)
    {
        if (!_fieldErrors.TryGetValue(key, out var list)) _fieldErrors[key] = list = [];
        list.Add(message);
    }

    /// <summary>Text → JSON value for one field, or why the text does not fit.</summary>
    internal static (JsonNode? Node, string? Error) Parse(OptionField field, string text)
    {
        text = text.Trim();
        switch (field.Kind)
        {
            case OptionFieldKind.Integer:
                if (text.Length == 0) return field.Nullable ? (null, null) : (null, "is required: enter a whole number");
                if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long l)) return (JsonValue.Create(l), null);
                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double whole) && whole == Math.Floor(whole) && Math.Abs(whole) < 9e18)
                    return (JsonValue.Create((long)whole), null);
                return (null, $"must be a whole number, got '{text}'");
            case OptionFieldKind.Number:
                if (text.Length == 0) return field.Nullable ? (null, null) : (null, "is required: enter a number");
                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d)) return (JsonValue.Create(d), null);
                return (null, $"must be a number (use a dot for decimals, e.g. 0.001 or 1e-3), got '{text}'");
            case OptionFieldKind.NumberList:
            case OptionFieldKind.IntegerList:
                return ParseList(field, text);
            case OptionFieldKind.Choice:
                if (text.Length == 0) return field.Nullable ? (null, null) : (null, $"pick one of {string.Join(", ", field.Choices)}");
                if (field.ValueType.IsEnum && !field.Choices.Contains(text))
                    return (null, $"must be one of {string.Join(", ", field.Choices)}, got '{text}'");
                return (JsonValue.Create(text), null);
            default:
                if (text.Length == 0 && field.Nullable) return (null, null);
                return (JsonValue.Create(text), null);
        }
    }

    private static (JsonNode? Node, string? Error) ParseList(OptionField field, string text)
    {
        bool integers = field.Kind == OptionFieldKind.IntegerList;
        string example = integers ? "e.g. 1, 2" : "e.g. 0.04, 0.4";
        string inner = text.Trim('[', ']', ' ');
        if (inner.Length == 0) return field.Nullable ? (null, null) : (new JsonArray(), null);
        var array = new JsonArray();
        foreach (string part in inner.Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (integers && long.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out long l)) array.Add(l);
            else if (!integers && double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d)) array.Add(d);
            else return (null, $"must be {(integers ? "whole numbers" : "numbers")} separated by commas ({example}), got '{part}'");
        }
        return (array, null);
    }
}

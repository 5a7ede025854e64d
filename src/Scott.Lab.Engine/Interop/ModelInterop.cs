using Scott.Lab.Abstractions.Models;
using Scott.Lab.Abstractions.Objectives;
using TorchSharp;
using static TorchSharp.torch;

namespace Scott.Lab.Engine.Interop;

/// <summary>Whose key names a weights file uses.</summary>
public enum KeyNames { Reference, Own }

/// <summary>What <c>export</c> writes: the context encoder, the EMA target encoder, the MIM-JEPA predictor, or all three.</summary>
public enum ExportPart { Encoder, Target, Predictor, All }

/// <summary>What an import loaded, and what it did besides.</summary>
public sealed record ImportResult(IReadOnlyList<string> Parts, IReadOnlyList<string> Notes, int Tensors);

/// <summary>
/// Moves weights between an objective's modules and flat state dicts in the reference implementation's names (or
/// this project's own). A <c>--part all</c> file in reference names prefixes each part's keys with <c>encoder.</c>,
/// <c>target_encoder.</c> and <c>predictor.</c> (safetensors is flat); in own names it is the objective's whole state dict.
/// </summary>
public static class ModelInterop
{
    public const string TargetChild = "target_encoder", PredictorChild = "predictor", PredictorHeadChild = "predictor_head";
    /// <summary>How far an imported <c>pos_embed</c> may be from the fixed sin-cos table (float32 rounding of another implementation).</summary>
    public const double PositionTolerance = 1e-5;

    public static ExportPart ParsePart(string value) => value.ToLowerInvariant() switch
    {
        "encoder" => ExportPart.Encoder,
        "target" => ExportPart.Target,
        "predictor" => ExportPart.Predictor,
        "all" => ExportPart.All,
        _ => throw new ArgumentException($"'{value}' is not one of encoder, target, predictor, all."),
    };

    // ---- export --------------------------------------------------------------------------------------------

    /// <summary>The tensors of <paramref name="part"/>, in the order the reference's state dict lists them (copies, on the CPU).</summary>
    public static List<KeyValuePair<string, Tensor>> Export(ObjectiveModule objective, ExportPart part, KeyNames names, ReferenceModelArgs? args)
    {
        if (names == KeyNames.Own) return ExportOwn(objective, part);
        if (args is null) throw new ArgumentNullException(nameof(args), "reference names need the reference arguments");
        return part switch
        {
            ExportPart.Encoder => Map(Own(objective.Encoder, ""), ReferenceLayout.Encoder(args), args, "encoder"),
            ExportPart.Target => Map(Own(Target(objective) ?? throw NoTarget(objective), ""), ReferenceLayout.Encoder(args), args, "target encoder"),
            ExportPart.Predictor => Map(PredictorParameters(objective) ?? throw NoPredictor(objective), ReferenceLayout.Predictor(args), args, "predictor"),
            _ => ExportAll(objective, args),
        };
    }

    private static List<KeyValuePair<string, Tensor>> ExportAll(ObjectiveModule objective, ReferenceModelArgs args)
    {
        var all = Prefixed("encoder.", Map(Own(objective.Encoder, ""), ReferenceLayout.Encoder(args), args, "encoder"));
        if (Target(objective) is { } target) all.AddRange(Prefixed("target_encoder.", Map(Own(target, ""), ReferenceLayout.Encoder(args), args, "target encoder")));
        if (PredictorParameters(objective) is { } predictor) all.AddRange(Prefixed("predictor.", Map(predictor, ReferenceLayout.Predictor(args), args, "predictor")));
        return all;
    }

    private static List<KeyValuePair<string, Tensor>> ExportOwn(ObjectiveModule objective, ExportPart part)
    {
        Dictionary<string, Tensor> dict = part switch
        {
            ExportPart.Encoder => objective.Encoder.state_dict(),
            ExportPart.Target => (Target(objective) ?? throw NoTarget(objective)).state_dict(),
            ExportPart.Predictor => objective.state_dict().Where(kv => kv.Key.StartsWith(PredictorChild + ".", StringComparison.Ordinal) || kv.Key.StartsWith(PredictorHeadChild + ".", StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key, kv => kv.Value) is { Count: > 0 } p ? p : throw NoPredictor(objective),
            _ => objective.state_dict(),
        };
        return dict.Select(kv => new KeyValuePair<string, Tensor>(kv.Key, kv.Value.detach().cpu().clone())).ToList();
    }

    private static List<KeyValuePair<string, Tensor>> Map(Dictionary<string, Tensor> own, IReadOnlyList<LayoutEntry> layout, ReferenceModelArgs args, string what)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<KeyValuePair<string, Tensor>>();
        foreach (var entry in layout)
        {
            Tensor value;
            switch (entry.Kind)
            {
                case LayoutKind.Parameter:
                    if (!own.TryGetValue(entry.Own!, out var p))
                        throw new NoReferenceLayoutException($"the {what} has no parameter '{entry.Own}' for the reference's '{entry.Reference}'; is it a model this project's reference layout does not describe? Export with --names own.");
                    if (!p.shape.SequenceEqual(entry.Shape))
                        throw new NoReferenceLayoutException($"the {what}'s '{entry.Own}' is [{string.Join(", ", p.shape)}] but the reference's '{entry.Reference}' is [{string.Join(", ", entry.Shape)}].");
                    used.Add(entry.Own!);
                    value = p.detach().cpu().clone();
                    break;
                case LayoutKind.FixedPositionEmbedding:
                    value = ReferenceLayout.PositionEmbedding(args, (int)(entry.Shape[0] - args.Tokens));
                    break;
                default:
                    value = zeros(entry.Shape);
                    break;
            }
            result.Add(new(entry.Reference, value));
        }
        var left = own.Keys.Where(k => !used.Contains(k)).ToList();
        if (left.Count > 0)
            throw new NoReferenceLayoutException($"the {what}'s parameters {string.Join(", ", left)} have no counterpart in the reference; export with --names own to keep this project's names.");
        return result;
    }

    // ---- import --------------------------------------------------------------------------------------------

    /// <summary>
    /// Checks every tensor of <paramref name="file"/> against the objective's parts first, and reports every missing,
    /// unexpected and misshapen key at once (an <see cref="InteropException"/>); only when all fit are they copied.
    /// An encoder imported without a target encoder also becomes the target (EMA objectives).
    /// </summary>
    /// <param name="referenceArgs">The run's reference arguments; only asked for when the file uses the reference's names
    /// (so a model the reference cannot express still imports a file in this project's names).</param>
    public static ImportResult Import(ObjectiveModule objective, IReadOnlyList<KeyValuePair<string, Tensor>> file, Func<ReferenceModelArgs> referenceArgs)
    {
        ReferenceModelArgs? known = null;
        ReferenceModelArgs Args() => known ??= referenceArgs();
        var plan = new List<(string Part, Dictionary<string, Tensor> Own, IReadOnlyList<LayoutEntry> Expected, KeyNames Names, string Prefix)>();
        var keys = file.Select(kv => kv.Key).ToList();
        var problems = new List<string>();
        if (keys.Any(k => k.StartsWith("context_encoder.", StringComparison.Ordinal)))
        {
            // A whole objective in this project's names (export --part all --names own).
            plan.Add(("all", objective.state_dict(), OwnLayout(objective.state_dict()), KeyNames.Own, ""));
        }
        else if (keys.Any(k => k.StartsWith("encoder.", StringComparison.Ordinal)))
        {
            plan.Add(("encoder", Own(objective.Encoder, ""), ReferenceLayout.Encoder(Args()), KeyNames.Reference, "encoder."));
            if (keys.Any(k => k.StartsWith("target_encoder.", StringComparison.Ordinal)))
            {
                if (Target(objective) is { } target) plan.Add(("target", Own(target, ""), ReferenceLayout.Encoder(Args()), KeyNames.Reference, "target_encoder."));
                else problems.Add($"target_encoder.*: objective {objective.GetType().Name} keeps no target encoder");
            }
            if (keys.Any(k => k.StartsWith("predictor.", StringComparison.Ordinal)))
            {
                if (PredictorParameters(objective) is { } predictor) plan.Add(("predictor", predictor, ReferenceLayout.Predictor(Args()), KeyNames.Reference, "predictor."));
                else problems.Add($"predictor.*: objective {objective.GetType().Name} has no MIM-JEPA predictor");
            }
        }
        else
        {
            bool own = !keys.Any(k => k.StartsWith("transformer.", StringComparison.Ordinal)) && keys.Any(k => k.StartsWith("blocks.", StringComparison.Ordinal) || k == "mask_token");
            var encoder = own ? objective.Encoder.state_dict() : Own(objective.Encoder, "");
            plan.Add(("encoder", encoder, own ? OwnLayout(objective.Encoder.state_dict()) : ReferenceLayout.Encoder(Args()), own ? KeyNames.Own : KeyNames.Reference, ""));
        }

        var byName = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (k, t) in file) byName[k] = t;
        var claimed = new HashSet<string>(StringComparer.Ordinal);
        var missing = new List<string>();
        var misshapen = new List<string>();
        foreach (var (_, _, expected, _, prefix) in plan)
        {
            foreach (var entry in expected)
            {
                string key = prefix + entry.Reference;
                if (!byName.TryGetValue(key, out var t)) { missing.Add($"{key} [{Dims(entry.Shape)}]"); continue; }
                claimed.Add(key);
                if (!t.shape.SequenceEqual(entry.Shape)) { misshapen.Add($"{key} is [{Dims(t.shape)}], expected [{Dims(entry.Shape)}]"); continue; }
                if (entry.Kind == LayoutKind.FixedPositionEmbedding)
                {
                    var a = Args();
                    using var fixedTable = ReferenceLayout.PositionEmbedding(a, (int)(entry.Shape[0] - a.Tokens));
                    double diff = (t - fixedTable).abs().max().item<float>();
                    if (!(diff <= PositionTolerance))
                        problems.Add($"{key} differs from the fixed 2D sin-cos position embedding (zero rows for registers) by up to {diff:G3}; this project's position embedding is fixed, so a learned or differently built one cannot be imported");
                }
            }
        }
        var unexpected = keys.Where(k => !claimed.Contains(k)).ToList();
        if (missing.Count > 0) problems.Insert(0, $"missing {missing.Count}: {string.Join(", ", missing)}");
        if (unexpected.Count > 0) problems.Add($"unexpected {unexpected.Count}: {string.Join(", ", unexpected)}");
        if (misshapen.Count > 0) problems.Add($"misshapen {misshapen.Count}: {string.Join("; ", misshapen)}");
        if (problems.Count > 0)
            throw new InteropException($"the weights do not fit the model ({(known is null ? "this project's names" : Describe(known))}): {string.Join(". ", problems)}. Nothing was loaded; " +
                                       "check that the sidecar or --config describes the model these weights come from.");

        int copied = 0;
        using (no_grad())
        {
            foreach (var (_, own, expected, _, prefix) in plan)
                foreach (var entry in expected.Where(e => e.Kind == LayoutKind.Parameter))
                {
                    own[entry.Own!].copy_(byName[prefix + entry.Reference]);
                    copied++;
                }
        }
        var notes = new List<string>();
        var parts = plan.Select(p => p.Part).ToList();
        if (!parts.Contains("target") && !parts.Contains("all") && Target(objective) is { } t2)
        {
            ModuleEma.CopyWeights(t2, objective.Encoder);
            notes.Add("the target encoder is a copy of the imported encoder");
        }
        if (!parts.Contains("predictor") && !parts.Contains("all") && PredictorParameters(objective) is not null)
            notes.Add("the predictor keeps its fresh initialisation (the file has none)");
        return new ImportResult(parts, notes, copied);
    }

    /// <summary>A module's own state dict as a layout whose reference names are the own names (for files in this project's names).</summary>
    private static List<LayoutEntry> OwnLayout(Dictionary<string, Tensor> stateDict) =>
        stateDict.Select(kv => new LayoutEntry(kv.Key, kv.Value.shape, kv.Key)).ToList();

    private static string Dims(long[] shape) => string.Join(", ", shape);

    private static string Describe(ReferenceModelArgs a) =>
        $"{a.ModelName}, img_size {a.ImgSize}, embed_dim {a.EmbedDim}, depth {a.Depth}, ffn {a.FfnLayer}, registers {a.NumRegisterTokens}";

    // ---- the objective's parts -----------------------------------------------------------------------------

    /// <summary>The module's parameters and persistent buffers by name (the live tensors).</summary>
    private static Dictionary<string, Tensor> Own(nn.Module module, string prefix)
    {
        var dict = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, p) in module.named_parameters()) dict[prefix + name] = p;
        return dict;
    }

    /// <summary>The EMA target encoder (a child named <c>target_encoder</c>), or null.</summary>
    public static EncoderModule? Target(ObjectiveModule objective) =>
        objective.named_children().FirstOrDefault(c => c.name == TargetChild).module as EncoderModule;

    /// <summary>The MIM-JEPA predictor's parameters (<c>predictor.*</c> and <c>predictor_head.*</c>), or null when the objective has none.</summary>
    public static Dictionary<string, Tensor>? PredictorParameters(ObjectiveModule objective)
    {
        var children = objective.named_children().ToDictionary(c => c.name, c => c.module);
        if (!children.TryGetValue(PredictorChild, out var predictor) || !children.TryGetValue(PredictorHeadChild, out var head)) return null;
        var dict = Own(predictor, PredictorChild + ".");
        foreach (var kv in Own(head, PredictorHeadChild + ".")) dict[kv.Key] = kv.Value;
        return dict;
    }

    private static InteropException NoTarget(ObjectiveModule objective) =>
        new($"--part target: objective {objective.GetType().Name} keeps no target encoder (mim-jepa does); export --part encoder.");

    private static InteropException NoPredictor(ObjectiveModule objective) =>
        new($"--part predictor: objective {objective.GetType().Name} has no MIM-JEPA predictor; export --part encoder.");

    private static List<KeyValuePair<string, Tensor>> Prefixed(string prefix, List<KeyValuePair<string, Tensor>> list) =>
        list.Select(kv => new KeyValuePair<string, Tensor>(prefix + kv.Key, kv.Value)).ToList();
}

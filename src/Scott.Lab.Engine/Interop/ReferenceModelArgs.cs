using System.Globalization;
using System.Text.Json.Nodes;

namespace Scott.Lab.Engine.Interop;

/// <summary>A run that the reference implementation cannot express, or weights that do not fit a run: one line, why and what to do.</summary>
public class InteropException(string message) : Exception(message);

/// <summary>
/// The reference implementation's layout cannot carry this model (its tokenizer, a parameter it has no name for): the
/// model's own names can. Told apart from other <see cref="InteropException"/>s (no target encoder, weights that do
/// not fit) so that a caller can fall back to own names for this reason and no other.
/// </summary>
public sealed class NoReferenceLayoutException(string message) : InteropException(message);

/// <summary>
/// The model configuration in the argument names of the reference implementation's <c>get_model</c>
/// (<c>img_size</c>, <c>patch_size</c>, <c>embed_dim</c>, ...), as the export sidecar writes it and import reads it.
/// <c>name</c> is <c>scott</c> (the two-stage sparse conv tokenizer) or <c>vit</c> (plain patch embedding).
/// </summary>
public sealed record ReferenceModelArgs(
    string ModelName, int ImgSize, int PatchSize, int InChannels, int EmbedDim, int Depth, int NumHeads,
    double MlpRatio, int NumRegisterTokens, string FfnLayer, double DropRate, double AttnDropRate, double DropPathRate,
    int PredictorDepth)
{
    /// <summary>The reference SCOTT tokenizer: two stride-2 stages of 7×7 convs with 64 hidden channels (÷16 in all).</summary>
    public const int ScottStages = 2, ScottKernel = 7, ScottHidden = 64;

    public int GridSide => ImgSize / PatchSize;
    public int Tokens => GridSide * GridSide;
    public int SwiGluHidden => Math.Max(128, 128 * (int)Math.Round(8.0 * EmbedDim / 3 / 128, MidpointRounding.ToEven));
    public int FfnHidden => FfnLayer == "swiglu" ? SwiGluHidden : (int)Math.Round(EmbedDim * MlpRatio);

    /// <summary>
    /// The reference arguments of a resolved run config (<see cref="Training.AssembledRun.Resolved"/>), or a
    /// <see cref="NoReferenceLayoutException"/> saying why the reference cannot build this model.
    /// </summary>
    public static ReferenceModelArgs FromSpec(JsonObject resolved, int inChannels, string objectiveHint = "")
    {
        var model = resolved["model"] as JsonObject ?? throw new InteropException("the run's spec has no model section.");
        string tokenizer = resolved["tokenizer"]?["id"]?.ToString() ?? "";
        var options = resolved["tokenizer"]?["options"] as JsonObject ?? [];
        int Int(JsonObject o, string key, int fallback) => TryNumber(o[key], out double x) ? (int)x : fallback;
        double Num(JsonObject o, string key) => TryNumber(o[key], out double x) ? x : 0;
        int imageSize = Int(model, "image_size", 224), width = Int(model, "width", 384);
        string name;
        int patch;
        switch (tokenizer)
        {
            case "scott":
                int stages = Int(options, "stages", ScottStages), kernel = Int(options, "kernel_size", ScottKernel), hidden = Int(options, "hidden_channels", ScottHidden);
                var differences = new List<string>();
                if (stages != ScottStages) differences.Add($"stages {stages}");
                if (kernel != ScottKernel) differences.Add($"kernel_size {kernel}");
                if (hidden != ScottHidden) differences.Add($"hidden_channels {hidden}");
                if (differences.Count > 0)
                    throw new NoReferenceLayoutException(
                        $"the reference cannot express this SCOTT tokenizer ({string.Join(", ", differences)}): its tokenizer is always " +
                        $"{ScottStages} stages of {ScottKernel}x{ScottKernel} convs with {ScottHidden} hidden channels. Only this project's own names (export --names own) carry such a model.");
                name = "scott";
                patch = 16;
                break;
            case "patch":
                name = "vit";
                patch = Int(options, "patch_size", 16);
                break;
            default:
                throw new NoReferenceLayoutException($"the reference has no counterpart of tokenizer '{tokenizer}' (it knows scott and the plain ViT patch embedding). Only this project's own names (export --names own) carry such a model.");
        }
        if (imageSize % patch != 0)
            throw new NoReferenceLayoutException($"image size {imageSize} is not a multiple of the reference's patch size {patch}.");
        string ffn = model["ffn"]?.ToString() ?? "swiglu";
        return new ReferenceModelArgs(name, imageSize, patch, inChannels, width, Int(model, "depth", 12), Int(model, "heads", 4),
            4.0, Int(model, "registers", 0), ffn, Num(model, "dropout"), Num(model, "attn_dropout"), Num(model, "drop_path"),
            PredictorDepthOf(resolved));
    }

    // MIM-JEPA keeps its predictor depth in its options; other objectives have no predictor (the reference's default, 3).
    private static int PredictorDepthOf(JsonObject resolved) =>
        TryNumber(resolved["objective"]?["options"]?["predictor_depth"], out double x) ? (int)x : 3;

    /// <summary>A JSON number however it was made (parsed, or created from an int, long or double).</summary>
    private static bool TryNumber(JsonNode? node, out double value)
    {
        value = 0;
        return node is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number &&
               double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>The sidecar's <c>model</c> object.</summary>
    public JsonObject ToJson() => new()
    {
        ["name"] = ModelName,
        ["img_size"] = ImgSize,
        ["patch_size"] = PatchSize,
        ["in_channels"] = InChannels,
        ["embed_dim"] = EmbedDim,
        ["depth"] = Depth,
        ["num_heads"] = NumHeads,
        ["mlp_ratio"] = MlpRatio,
        ["num_register_tokens"] = NumRegisterTokens,
        ["ffn_layer"] = FfnLayer,
        ["dropout_rate"] = DropRate,
        ["attention_dropout"] = AttnDropRate,
        ["stochastic_depth_rate"] = DropPathRate,
    };

    /// <summary>Reads a sidecar's <c>model</c> object; every problem is named at once.</summary>
    public static ReferenceModelArgs FromJson(JsonObject o, string source)
    {
        var problems = new List<string>();
        int Int(string key, int? fallback = null)
        {
            if (TryNumber(o[key], out double x) && x == Math.Floor(x) && x >= 0 && x <= int.MaxValue) return (int)x;
            if (o[key] is null && fallback is { } f) return f;
            problems.Add(o[key] is null ? $"{key} is missing" : $"{key} must be a non-negative integer, got {o[key]!.ToJsonString()}");
            return 0;
        }
        double Num(string key, double fallback)
        {
            if (o[key] is null) return fallback;
            if (TryNumber(o[key], out double d)) return d;
            problems.Add($"{key} must be a number, got {o[key]!.ToJsonString()}");
            return fallback;
        }
        // get_model's own names; the first sidecars of this project wrote model_name and timm-style dropout names.
        string name = (o["name"] ?? o["model_name"])?.ToString() ?? "scott";
        if (name is not ("scott" or "vit")) problems.Add($"name must be scott or vit, got '{name}'");
        string ffn = o["ffn_layer"]?.ToString() ?? "swiglu";
        if (ffn is not ("swiglu" or "mlp")) problems.Add($"ffn_layer must be swiglu or mlp, got '{ffn}'");
        var args = new ReferenceModelArgs(name, Int("img_size"), Int("patch_size", 16), Int("in_channels", 3), Int("embed_dim"), Int("depth"),
            Int("num_heads"), Num("mlp_ratio", 4.0), Int("num_register_tokens", 0), ffn, Num(o["dropout_rate"] is null ? "drop_rate" : "dropout_rate", 0),
            Num(o["attention_dropout"] is null ? "attn_drop_rate" : "attention_dropout", 0),
            Num(o["stochastic_depth_rate"] is null ? "drop_path_rate" : "stochastic_depth_rate", 0), Int("predictor_depth", 3));
        if (problems.Count == 0)
        {
            if (args.ModelName == "scott" && args.PatchSize != 16) problems.Add($"patch_size must be 16 for scott (two stride-4 stages), got {args.PatchSize}");
            if (args.PatchSize > 0 && args.ImgSize % args.PatchSize != 0) problems.Add($"img_size {args.ImgSize} is not a multiple of patch_size {args.PatchSize}");
            if (args.FfnLayer == "mlp" && args.MlpRatio != 4.0) problems.Add($"mlp_ratio {args.MlpRatio.ToString(CultureInfo.InvariantCulture)} is not supported here (the MLP feed-forward has ratio 4)");
        }
        if (problems.Count > 0) throw new InteropException($"{source}: {string.Join("; ", problems)}.");
        return args;
    }

    /// <summary>Sets the model and tokenizer sections of a run config tree to these arguments (for import from a sidecar without a spec).</summary>
    public void ApplyTo(JsonObject tree)
    {
        var model = tree["model"] as JsonObject ?? (JsonObject)(tree["model"] = new JsonObject());
        model["image_size"] = ImgSize;
        model["width"] = EmbedDim;
        model["depth"] = Depth;
        model["heads"] = NumHeads;
        model["ffn"] = FfnLayer;
        model["registers"] = NumRegisterTokens;
        model["dropout"] = DropRate;
        model["attn_dropout"] = AttnDropRate;
        model["drop_path"] = DropPathRate;
        tree["tokenizer"] = ModelName == "scott"
            ? new JsonObject { ["id"] = "scott", ["options"] = new JsonObject { ["stages"] = ScottStages, ["kernel_size"] = ScottKernel, ["hidden_channels"] = ScottHidden } }
            : new JsonObject { ["id"] = "patch", ["options"] = new JsonObject { ["patch_size"] = PatchSize } };
    }
}

using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Scott.Lab.Engine.Interop;

/// <summary>
/// The JSON written next to an export (<c>FILE.json</c>): the reference's <c>get_model</c> arguments, the run's full
/// spec, the preprocessing that <c>embed</c> and eval apply, and the tensors written. <c>import</c> reads it back.
/// </summary>
public static class InteropSidecar
{
    public const string Format = "scott-lab-export/1";
    /// <summary>LayerNorm epsilon of the features (F.layer_norm's default, as in PyTorch).</summary>
    public const double LayerNormEps = 1e-5;

    /// <summary>Indented, and readable: '+' and non-ASCII stay as they are (these files are read by people and by Python).</summary>
    public static readonly System.Text.Json.JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The sidecar path of an export: the file name with <c>.json</c> appended.</summary>
    public static string PathFor(string weightsFile) => weightsFile + ".json";

    public static JsonObject Build(ReferenceModelArgs? args, ExportPart part, KeyNames names, WeightsFormat format, JsonObject spec,
        JsonObject preprocessing, JsonObject source, IReadOnlyList<KeyValuePair<string, Tensor>> tensors)
    {
        var listed = new JsonArray();
        foreach (var (name, t) in tensors)
            listed.Add(new JsonObject { ["key"] = name, ["shape"] = new JsonArray(t.shape.Select(s => (JsonNode)JsonValue.Create(s)).ToArray()), ["dtype"] = "float32" });
        return new JsonObject
        {
            ["format"] = Format,
            ["part"] = part.ToString().ToLowerInvariant(),
            ["key_names"] = names == KeyNames.Reference ? "reference" : "scott-lab",
            ["file_format"] = format == WeightsFormat.Safetensors ? "safetensors" : "pytorch",
            ["model"] = args?.ToJson(), // exactly get_model's arguments: get_model(**sidecar["model"])
            ["predictor_depth"] = args?.PredictorDepth, // the reference's Predictor(depth=...), for --part predictor
            ["preprocessing"] = preprocessing,
            ["outputs"] = new JsonObject
            {
                ["tokens"] = "the last block's output for an unmasked image, registers dropped, then a non-affine LayerNorm over embed_dim " +
                             $"(eps {LayerNormEps}); shape [N, grid*grid, embed_dim], row-major over the grid. The model has no final norm of its own.",
                ["pooled"] = "the mean of those tokens over the token axis, [N, embed_dim] (the linear probe's and kNN's features).",
            },
            ["source"] = source,
            ["spec"] = spec.DeepClone(),
            ["tensors"] = listed,
        };
    }

    /// <summary>What eval and embed do to an image before the encoder, precisely enough to reproduce it elsewhere.</summary>
    public static JsonObject Preprocessing(int channels, int imageSize, IReadOnlyList<float> mean, IReadOnlyList<float> std) => new()
    {
        ["channels"] = channels,
        ["channel_conversion"] = channels == 1
            ? "files: grayscale = round(0.299 R + 0.587 G + 0.114 B) on 8-bit values, alpha ignored; dataset images: as the dataset plugin decodes them"
            : "files: 8-bit RGB, alpha ignored (not composited); dataset images: as the dataset plugin decodes them",
        ["scale"] = "float32(pixel) / 255, layout [N, C, H, W]",
        ["resize"] = new JsonObject
        {
            ["when"] = $"the image is not already {imageSize}x{imageSize}",
            ["short_side_to"] = imageSize,
            ["long_side"] = $"max({imageSize}, round(long * {imageSize} / short))",
            ["interpolation"] = "bicubic, align_corners=False, no antialias (torch.nn.functional.interpolate), then clamped to [0, 1]",
        },
        ["crop"] = new JsonObject
        {
            ["size"] = imageSize,
            ["position"] = "centre: top = (h - size) // 2, left = (w - size) // 2",
        },
        ["at_input_size"] = $"an image that is already {imageSize}x{imageSize} is neither resized nor cropped: only the channel conversion, the scaling and the normalisation apply",
        ["normalize"] = new JsonObject
        {
            ["mean"] = new JsonArray(mean.Select(m => (JsonNode)JsonValue.Create(m)).ToArray()),
            ["std"] = new JsonArray(std.Select(s => (JsonNode)JsonValue.Create(s)).ToArray()),
            ["formula"] = "(x - mean[c]) / std[c]",
        },
        ["mask"] = "none (every token visible)",
    };

    private static JsonObject WithPredictorDepth(JsonObject model, JsonNode? depth)
    {
        if (depth is null || model.ContainsKey("predictor_depth")) return model;
        var copy = (JsonObject)model.DeepClone();
        copy["predictor_depth"] = depth.DeepClone();
        return copy;
    }

    /// <summary>Reads a sidecar: its reference arguments (may be null for own names) and its spec (may be null).</summary>
    public static (ReferenceModelArgs? Args, JsonObject? Spec) Read(string path)
    {
        if (!File.Exists(path)) throw new InteropException($"--sidecar: {path} not found.");
        JsonNode? node;
        try { node = JsonNode.Parse(File.ReadAllText(path)); }
        catch (System.Text.Json.JsonException e) { throw new InteropException($"--sidecar: {path} is not valid JSON ({e.Message})."); }
        if (node is not JsonObject o) throw new InteropException($"--sidecar: {path} must hold a JSON object with 'model' (get_model arguments) and/or 'spec' (a run config).");
        var args = o["model"] is JsonObject m ? ReferenceModelArgs.FromJson(WithPredictorDepth(m, o["predictor_depth"]), $"--sidecar {path}: model") : null;
        var spec = o["spec"] as JsonObject;
        if (args is null && spec is null)
            throw new InteropException($"--sidecar: {path} has neither 'model' (the reference's get_model arguments) nor 'spec' (a run config); export writes both.");
        return (args, spec);
    }
}

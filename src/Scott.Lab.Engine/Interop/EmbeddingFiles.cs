using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Scott.Lab.Abstractions.Data;
using Scott.Lab.Abstractions.Models;
using Scott.Lab.Engine.Evaluation;
using static TorchSharp.torch;

namespace Scott.Lab.Engine.Interop;

/// <summary>Images already in memory (decoded files) as an image source.</summary>
public sealed class InMemoryImages(IReadOnlyList<ImageSample> images) : IImageSource
{
    public int Count => images.Count;
    public int LabelAt(int index) => images[index].Label;
    public ImageSample Read(int index) => images[index];
}

/// <summary>One embedded image: its id, label (−1 when unknown) and class name.</summary>
public sealed record EmbeddedImage(string Id, int Label, string? ClassName);

/// <summary>
/// Embeddings of images by a frozen encoder, exactly as eval computes its features (<see cref="FeatureExtractor"/>:
/// eval preprocessing, no mask, last layer, registers dropped, non-affine LayerNorm; pooled = mean over tokens), and
/// the files <c>embed</c> writes: <c>embeddings.safetensors</c> (<c>pooled [N, D]</c>, optionally <c>tokens [N, T, D]</c>),
/// <c>metadata.tsv</c> and <c>tensors.tsv</c> for the TensorBoard Embedding Projector, and <c>embeddings.json</c>.
/// </summary>
public static class EmbeddingFiles
{
    public const string WeightsName = "embeddings.safetensors", MetadataName = "metadata.tsv", TensorsName = "tensors.tsv", InfoName = "embeddings.json";

    public static FeatureSet Compute(EncoderModule encoder, IImageSource images, int channels, EvalPreprocessor preprocess, Device device,
        bool keepTokens, int batchSize = 64, Action<EvalProgress>? progress = null) =>
        FeatureExtractor.Extract(encoder, images, channels, preprocess, batchSize, device, keepTokens, "embed", progress);

    /// <summary>Writes the files into <paramref name="folder"/> (created); returns their paths.</summary>
    public static IReadOnlyList<string> Write(string folder, FeatureSet features, IReadOnlyList<EmbeddedImage> images, JsonObject info)
    {
        if (features.Count != images.Count) throw new ArgumentException($"{features.Count} embeddings for {images.Count} images.");
        Directory.CreateDirectory(folder);
        var tensors = new List<KeyValuePair<string, Tensor>> { new("pooled", features.Pooled) };
        if (features.Tokens is { } tokens) tensors.Add(new("tokens", tokens));
        string weights = Path.Combine(folder, WeightsName);
        WeightsFile.Save(weights, tensors, WeightsFormat.Safetensors);

        // The projector reads a header row when the metadata has more than one column.
        var metadata = new StringBuilder("id\tlabel\tclass\n");
        foreach (var image in images)
            metadata.Append(Clean(image.Id)).Append('\t').Append(image.Label.ToString(CultureInfo.InvariantCulture)).Append('\t').Append(Clean(image.ClassName ?? "")).Append('\n');
        string metadataFile = Path.Combine(folder, MetadataName);
        File.WriteAllText(metadataFile, metadata.ToString());

        var pooled = features.Pooled.contiguous().data<float>().ToArray();
        long d = features.Pooled.shape[1];
        var rows = new StringBuilder();
        for (int i = 0; i < images.Count; i++)
        {
            for (long j = 0; j < d; j++)
            {
                if (j > 0) rows.Append('\t');
                rows.Append(pooled[i * d + j].ToString("R", CultureInfo.InvariantCulture));
            }
            rows.Append('\n');
        }
        string tensorsFile = Path.Combine(folder, TensorsName);
        File.WriteAllText(tensorsFile, rows.ToString());

        var described = (JsonObject)info.DeepClone();
        described["count"] = images.Count;
        described["files"] = new JsonObject
        {
            [WeightsName] = features.Tokens is null ? "pooled [N, D] float32" : "pooled [N, D] and tokens [N, T, D], float32",
            [MetadataName] = "id, label (-1: none), class; one row per embedding, with a header row (TensorBoard projector metadata)",
            [TensorsName] = "pooled embeddings, tab-separated, one row per image, no header (TensorBoard projector tensors)",
        };
        string infoFile = Path.Combine(folder, InfoName);
        File.WriteAllText(infoFile, described.ToJsonString(InteropSidecar.JsonOptions));
        return [weights, metadataFile, tensorsFile, infoFile];
    }

    /// <summary>train / val / test by role, else a split by name; an <see cref="ArgumentException"/> lists the splits there are.</summary>
    public static DatasetSplit FindSplit(IImageDataset dataset, string name)
    {
        SplitRole? role = name switch { "train" => SplitRole.Train, "val" or "validation" => SplitRole.Validation, "test" => SplitRole.Test, _ => null };
        return dataset.Splits.FirstOrDefault(s => s.Name == name)
               ?? (role is { } r ? dataset.Splits.FirstOrDefault(s => s.Role == r) : null)
               ?? throw new ArgumentException($"the dataset has no '{name}' split; it has {string.Join(", ", dataset.Splits.Select(s => $"{s.Name} ({s.Role.ToString().ToLowerInvariant()})"))}.");
    }

    /// <summary>The first <paramref name="limit"/> images of a split (all when null), with their ids (<c>split-index</c>, as maps name them), labels and class names.</summary>
    public static (IImageSource Images, List<EmbeddedImage> Described) Take(IImageDataset dataset, DatasetSplit split, int? limit)
    {
        int n = Math.Min(split.Images.Count, limit ?? int.MaxValue);
        IImageSource source = n == split.Images.Count ? split.Images : new SubsetSource(split.Images, Enumerable.Range(0, n).ToList());
        var described = Enumerable.Range(0, n).Select(i =>
        {
            int label = split.Images.LabelAt(i);
            return new EmbeddedImage($"{split.Name}-{i}", label, label >= 0 && label < dataset.ClassNames.Count ? dataset.ClassNames[label] : null);
        }).ToList();
        return (source, described);
    }

    private static string Clean(string value) => value.Replace('\t', ' ').Replace('\n', ' ').Replace('\r', ' ');
}

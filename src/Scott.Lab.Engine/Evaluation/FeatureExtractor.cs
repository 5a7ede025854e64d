using Scott.Lab.Abstractions.Data;
using Scott.Lab.Abstractions.Models;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Scott.Lab.Engine.Evaluation;

/// <summary>
/// Frozen features of one split, on the CPU: the last layer's tokens after a non-affine LayerNorm (for the
/// attentive probes; null when not asked for), their mean over tokens (BagSSL's "image = mean of its patches",
/// for the linear probe and kNN) and the labels.
/// </summary>
public sealed class FeatureSet(Tensor? tokens, Tensor pooled, Tensor labels) : IDisposable
{
    public Tensor? Tokens { get; } = tokens;
    public Tensor Pooled { get; } = pooled;
    public Tensor Labels { get; } = labels;
    public long Count => Labels.shape[0];

    /// <summary>A new set of the rows at <paramref name="positions"/> (copies: it is disposed on its own).</summary>
    public FeatureSet Select(IReadOnlyList<int> positions)
    {
        using var index = tensor(positions.Select(p => (long)p).ToArray());
        return new FeatureSet(Tokens?.index_select(0, index), Pooled.index_select(0, index), Labels.index_select(0, index));
    }

    public void Dispose()
    {
        Tokens?.Dispose();
        Pooled.Dispose();
        Labels.Dispose();
    }
}

/// <summary>Progress of a long evaluation stage: what it is doing, and how far it is.</summary>
public readonly record struct EvalProgress(string Stage, long Done, long Total);

/// <summary>
/// Turns images into model inputs for evaluation: no randomness, resize + centre crop, normalise. The short side
/// is resized to <paramref name="resizeTo"/> (default: the image size S; the paper protocol's is 256/224·S), then
/// the centre S² is cropped.
/// </summary>
public sealed class EvalPreprocessor(int imageSize, IReadOnlyList<float> mean, IReadOnlyList<float> std, int resizeTo = 0)
{
    private readonly int _resize = resizeTo > imageSize ? resizeTo : imageSize;
    public int ImageSize => imageSize;

    /// <summary>A batch (B, C, S, S), normalised, from images of any size: the short side is resized, then the centre S² is cropped.</summary>
    public Tensor Batch(IImageSource source, int start, int count, int channels)
    {
        using var scope = NewDisposeScope();
        var samples = new ImageSample[count];
        Parallel.For(0, count, i => samples[i] = source.Read(start + i));
        var first = samples[0];
        Tensor images;
        if (_resize == imageSize && samples.All(s => s.Width == imageSize && s.Height == imageSize && s.Channels == channels))
        {
            int pixels = imageSize * imageSize * channels;
            var buffer = new byte[count * pixels];
            for (int i = 0; i < count; i++) Buffer.BlockCopy(samples[i].Pixels, 0, buffer, i * pixels, pixels);
            images = tensor(buffer, new long[] { count, imageSize, imageSize, channels }).permute(0, 3, 1, 2).to(ScalarType.Float32).div_(255f);
        }
        else
        {
            images = cat(samples.Select(s => ResizeCentreCrop(s, channels)).ToArray(), 0);
        }
        var m = tensor(mean.ToArray()).view(1, -1, 1, 1);
        var sd = tensor(std.ToArray()).view(1, -1, 1, 1);
        return ((images - m) / sd).MoveToOuterDisposeScope();
    }

    private Tensor ResizeCentreCrop(ImageSample sample, int channels)
    {
        if (sample.Channels != channels)
            throw new DatasetException($"An image has {sample.Channels} channels; the dataset declares {channels}.");
        var x = tensor(sample.Pixels, new long[] { 1, sample.Height, sample.Width, channels }).permute(0, 3, 1, 2).to(ScalarType.Float32).div_(255f);
        double scale = (double)_resize / Math.Min(sample.Width, sample.Height);
        long h = Math.Max(_resize, (long)Math.Round(sample.Height * scale)), w = Math.Max(_resize, (long)Math.Round(sample.Width * scale));
        if (h != sample.Height || w != sample.Width)
            x = F.interpolate(x, new[] { h, w }, mode: InterpolationMode.Bicubic, align_corners: false).clamp_(0, 1);
        long top = (h - imageSize) / 2, left = (w - imageSize) / 2;
        return x.narrow(2, top, imageSize).narrow(3, left, imageSize);
    }
}

/// <summary>Runs a frozen encoder over a split in batches, without gradients, reporting progress.</summary>
public static class FeatureExtractor
{
    public static FeatureSet Extract(EncoderModule encoder, IImageSource source, int channels, EvalPreprocessor preprocess,
        int batchSize, Device device, bool keepTokens, string stage, Action<EvalProgress>? progress)
    {
        encoder.eval();
        int n = source.Count;
        var pooled = new List<Tensor>();
        var tokens = new List<Tensor>();
        var normShape = new long[] { encoder.EmbedDim };
        using (no_grad())
        {
            for (int start = 0; start < n; start += batchSize)
            {
                int count = Math.Min(batchSize, n - start);
                using var scope = NewDisposeScope();
                var x = preprocess.Batch(source, start, count, channels).to(device);
                var normed = F.layer_norm(encoder.forward(x, null), normShape).to(CPU);
                pooled.Add(normed.mean(new long[] { 1 }).MoveToOuterDisposeScope());
                if (keepTokens) tokens.Add(normed.MoveToOuterDisposeScope());
                progress?.Invoke(new EvalProgress(stage, start + count, n));
            }
        }
        return new FeatureSet(keepTokens ? Concat(tokens) : null, Concat(pooled), Labels(source));
    }

    /// <summary>The raw-pixel baseline: the normalised, resized image flattened into one vector.</summary>
    public static FeatureSet Pixels(IImageSource source, int channels, EvalPreprocessor preprocess, int batchSize, string stage, Action<EvalProgress>? progress)
    {
        var parts = new List<Tensor>();
        for (int start = 0; start < source.Count; start += batchSize)
        {
            int count = Math.Min(batchSize, source.Count - start);
            using var scope = NewDisposeScope();
            parts.Add(preprocess.Batch(source, start, count, channels).flatten(1).MoveToOuterDisposeScope());
            progress?.Invoke(new EvalProgress(stage, start + count, source.Count));
        }
        return new FeatureSet(null, Concat(parts), Labels(source));
    }

    private static Tensor Labels(IImageSource source) =>
        tensor(Enumerable.Range(0, source.Count).Select(i => (long)source.LabelAt(i)).ToArray());

    private static Tensor Concat(List<Tensor> parts)
    {
        var all = cat(parts, 0);
        foreach (var p in parts) p.Dispose();
        return all;
    }
}

using Scott.Lab.Abstractions.Data;
using Scott.Lab.Abstractions.Models;
using Scott.Lab.Abstractions.Objectives;
using Scott.Lab.Engine.Data;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Scott.Lab.Engine.Evaluation;

/// <summary>Tokens of the training images for one epoch of probe training: (B, T, D) after a non-affine LayerNorm, on the CPU.</summary>
public interface ITrainingTokens : IDisposable
{
    /// <summary>Tokens of the images at <paramref name="positions"/> (into the training source) as epoch <paramref name="epoch"/> (from 1) sees them.</summary>
    Tensor Tokens(int epoch, IReadOnlyList<int> positions);
    /// <summary>How the views are made: "augmented" or "bounded K=…".</summary>
    string Variant { get; }
}

/// <summary>
/// Augmented training views through the frozen encoder, made afresh for every epoch: each image is read whole (a
/// photograph keeps its edges), cropped with RandomResizedCrop (bicubic) and maybe flipped, resized to S², and
/// normalised. The crop of image i in epoch e is a pure function of (seed, e, i): the same seed gives the same
/// crops whatever the batch order, and two epochs give different ones.
/// </summary>
public sealed class AugmentedViews(EncoderModule encoder, IImageSource source, int channels, ViewAugmentation geometry, int seed, Device device)
    : ITrainingTokens
{
    public string Variant => "augmented";

    /// <summary>The normalised views (B, C, S, S), on the CPU.</summary>
    public Tensor Images(int epoch, IReadOnlyList<int> positions)
    {
        using var scope = NewDisposeScope();
        var samples = new ImageSample[positions.Count];
        Parallel.For(0, positions.Count, i => samples[i] = source.Read(positions[i]));
        var views = new Tensor[positions.Count];
        for (int i = 0; i < positions.Count; i++)
        {
            var s = samples[i];
            if (s.Channels != channels)
                throw new DatasetException($"Training image {positions[i]} has {s.Channels} channels; the dataset declares {channels}.");
            var image = tensor(s.Pixels, new long[] { 1, s.Height, s.Width, channels }).permute(0, 3, 1, 2).to(ScalarType.Float32).div_(255f);
            views[i] = geometry.CropAndFlip(image, new Random(CropSeed(epoch, positions[i])));
        }
        return geometry.Normalize(cat(views, 0)).MoveToOuterDisposeScope();
    }

    public Tensor Tokens(int epoch, IReadOnlyList<int> positions)
    {
        encoder.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var tokens = encoder.forward(Images(epoch, positions).to(device), null);
        return F.layer_norm(tokens, new long[] { encoder.EmbedDim }).to(CPU).MoveToOuterDisposeScope();
    }

    private int CropSeed(int epoch, int position) => StepSeed.For(StepSeed.For(seed, epoch, stream: 31), position, stream: 32);

    public void Dispose() { }
}

/// <summary>
/// The bounded variant: K augmented views of every training image, extracted once (view k is what epoch k+1 of
/// <see cref="AugmentedViews"/> would see), then cycled: epoch e reads view (e − 1) mod K. The frozen encoder then
/// runs K times over the training split instead of once per epoch. Tokens are kept in half precision to halve the
/// memory (K · N · T · D · 2 bytes); LayerNorm'd tokens are of order 1, well inside float16's range and precision
/// for a probe's input.
/// </summary>
public sealed class BoundedViews : ITrainingTokens
{
    private readonly Tensor[] _views;

    public BoundedViews(AugmentedViews augmented, int count, int views, int batchSize, string stage, Action<EvalProgress>? progress)
    {
        if (views < 1) throw new ArgumentOutOfRangeException(nameof(views), "The bounded variant needs at least one view per image.");
        _views = new Tensor[views];
        long total = (long)views * count, done = 0;
        for (int k = 0; k < views; k++)
        {
            var parts = new List<Tensor>();
            for (int start = 0; start < count; start += batchSize)
            {
                var positions = Enumerable.Range(start, Math.Min(batchSize, count - start)).ToArray();
                using var tokens = augmented.Tokens(k + 1, positions);
                parts.Add(tokens.to(ScalarType.Float16));
                done += positions.Length;
                progress?.Invoke(new EvalProgress(stage, done, total));
            }
            _views[k] = cat(parts, 0);
            foreach (var p in parts) p.Dispose();
        }
    }

    public string Variant => $"bounded K={_views.Length}";

    public Tensor Tokens(int epoch, IReadOnlyList<int> positions)
    {
        using var index = tensor(positions.Select(p => (long)p).ToArray());
        using var half = _views[(epoch - 1) % _views.Length].index_select(0, index);
        return half.to(ScalarType.Float32);
    }

    public void Dispose()
    {
        foreach (var v in _views) v?.Dispose();
    }
}

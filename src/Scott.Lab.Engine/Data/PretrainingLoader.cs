using Scott.Lab.Abstractions.Data;
using Scott.Lab.Abstractions.Objectives;
using static TorchSharp.torch;

namespace Scott.Lab.Engine.Data;

/// <summary>Images a loader draws from; labels of a source that is not <paramref name="Labelled"/> are reported as -1.</summary>
public sealed record LoaderSource(IImageSource Images, bool Labelled);

/// <summary>
/// Batches for training: every image of its sources (by default the pre-training splits), reshuffled each epoch
/// with a permutation derived from (seed, epoch), incomplete last batches dropped. Batch s is a pure function of
/// (seed, s), so a resumed run reads exactly the images the uninterrupted one would. Labels are only passed on
/// from training splits: a test image that is pre-trained on (unlabelled, as the paper does) never lends its label
/// to the online probe.
/// </summary>
public sealed class PretrainingLoader
{
    private readonly IReadOnlyList<LoaderSource> _sources;
    private readonly int[] _offsets;
    private readonly int _channels, _width, _height, _batchSize, _seed;
    private (long epoch, int[] order)? _permutation;

    public PretrainingLoader(IImageDataset dataset, int batchSize, int seed)
        : this(dataset, dataset.PretrainingSplits.Select(s => new LoaderSource(s.Images, s.Role == SplitRole.Train)).ToList(), batchSize, seed) { }

    public PretrainingLoader(IImageDataset dataset, IReadOnlyList<LoaderSource> sources, int batchSize, int seed)
    {
        _sources = sources;
        Count = _sources.Sum(s => s.Images.Count);
        if (Count == 0) throw new DatasetException("The dataset has no pre-training images.");
        if (Count < batchSize)
            throw new DatasetException($"The dataset has {Count} pre-training images, fewer than trainer.batch_size {batchSize}; lower the batch size.");
        var size = dataset.FixedSize ?? throw new DatasetException(
            "This dataset has images of varying size; the pre-training loader needs a fixed size.");
        (_width, _height) = size;
        _offsets = new int[_sources.Count];
        for (int i = 1; i < _sources.Count; i++) _offsets[i] = _offsets[i - 1] + _sources[i - 1].Images.Count;
        (_channels, _batchSize, _seed) = (dataset.Channels, batchSize, seed);
    }

    public int Count { get; }
    public long StepsPerEpoch => Count / _batchSize;

    /// <summary>Images (B, C, H, W) as floats in [0, 1] and labels (B), on the CPU.</summary>
    public (Tensor Images, Tensor Labels) Batch(long step)
    {
        long epoch = step / StepsPerEpoch;
        int position = (int)(step % StepsPerEpoch);
        var order = Order(epoch);
        int pixels = _width * _height * _channels;
        var buffer = new byte[_batchSize * pixels];
        var labels = new long[_batchSize];
        for (int b = 0; b < _batchSize; b++)
        {
            int global = order[position * _batchSize + b];
            int s = Array.FindLastIndex(_offsets, o => o <= global);
            var sample = _sources[s].Images.Read(global - _offsets[s]);
            if (sample.Pixels.Length != pixels)
                throw new DatasetException($"Image {global} has {sample.Width}x{sample.Height}x{sample.Channels} pixels; expected {_width}x{_height}x{_channels}.");
            Buffer.BlockCopy(sample.Pixels, 0, buffer, b * pixels, pixels);
            labels[b] = _sources[s].Labelled ? sample.Label : -1;
        }
        using var scope = NewDisposeScope();
        var images = tensor(buffer, new long[] { _batchSize, _height, _width, _channels })
            .permute(0, 3, 1, 2).to(ScalarType.Float32).div_(255f);
        return (images.MoveToOuterDisposeScope(), tensor(labels).MoveToOuterDisposeScope());
    }

    private int[] Order(long epoch)
    {
        if (_permutation is { } cached && cached.epoch == epoch) return cached.order;
        var order = Enumerable.Range(0, Count).ToArray();
        new Random(StepSeed.For(_seed, epoch, stream: 7)).Shuffle(order);
        _permutation = (epoch, order);
        return order;
    }
}

using Scott.Lab.Abstractions.Data;
using Scott.Lab.Abstractions.Objectives;
using static TorchSharp.torch;

namespace Scott.Lab.Engine.Data;

/// <summary>Images a loader draws from; labels of a source that is not <paramref name="Labelled"/> are reported as -1.</summary>
public sealed record LoaderSource(IImageSource Images, bool Labelled);

/// <summary>
/// A decoded batch: HWC bytes of <c>B × Height × Width × C</c>, labels, and, for a dataset of varying-size images,
/// each image's extent in the top-left of its slot (the rest is zero padding).
/// </summary>
public sealed record RawBatch(byte[] Pixels, long[] Labels, int Height, int Width, ImageExtent[]? Extents);

/// <summary>A batch as tensors: images (B, C, H, W) in [0, 1], labels (B), and the extents of <see cref="RawBatch"/>.</summary>
public sealed record LoadedBatch(Tensor Images, Tensor Labels, IReadOnlyList<ImageExtent>? Extents);

/// <summary>
/// Batches for training: every image of its sources (by default the pre-training splits), reshuffled each epoch
/// with a permutation derived from (seed, epoch), incomplete last batches dropped. Batch s is a pure function of
/// (seed, s), so a resumed run reads exactly the images the uninterrupted one would. Labels are only passed on
/// from training splits: a test image that is pre-trained on (unlabelled, as the paper does) never lends its label
/// to the online probe.
/// Images are decoded on worker threads (one per core by default), and the next batch is read in the background
/// while the current step trains (a prefetch queue of one batch: batch s is a pure function of s, so reading ahead
/// changes nothing). Datasets whose images vary in size (photographs) keep their whole image: the short side is
/// scaled to <c>loadSize</c> with the aspect ratio kept (the long side at most <see cref="MaxAspect"/>·loadSize),
/// and a batch is padded to its largest image, with each image's extent passed on, so that RandomResizedCrop
/// draws its crops from the whole photograph, edges included, as the reference's does (not from a centre square).
/// </summary>
public sealed class PretrainingLoader : IDisposable
{
    private readonly IReadOnlyList<LoaderSource> _sources;
    private readonly int[] _offsets;
    private readonly int _channels, _width, _height, _batchSize, _seed, _workers;
    private readonly bool _resize;
    private readonly object _orderGate = new();
    private (long epoch, int[] order)? _permutation;
    private (long Step, Task<RawBatch> Read)? _prefetch;

    /// <summary>The longest side of a loaded photograph, as a multiple of the load size (a panorama is shrunk to fit).</summary>
    public const int MaxAspect = 2;

    public PretrainingLoader(IImageDataset dataset, int batchSize, int seed, int loadSize = 0, int workers = 0)
        : this(dataset, dataset.PretrainingSplits.Select(s => new LoaderSource(s.Images, s.Role == SplitRole.Train)).ToList(), batchSize, seed, loadSize, workers) { }

    /// <param name="loadSize">The square size varying-size images are brought to (ignored for fixed-size datasets).</param>
    /// <param name="workers">Decoding threads (0: one per core).</param>
    public PretrainingLoader(IImageDataset dataset, IReadOnlyList<LoaderSource> sources, int batchSize, int seed, int loadSize = 0, int workers = 0)
    {
        _sources = sources;
        Count = _sources.Sum(s => s.Images.Count);
        if (Count == 0) throw new DatasetException("The dataset has no pre-training images.");
        if (Count < batchSize)
            throw new DatasetException($"The dataset has {Count} pre-training images, fewer than trainer.batch_size {batchSize}; lower the batch size.");
        if (dataset.FixedSize is { } size) (_width, _height) = size;
        else if (loadSize > 0) (_width, _height, _resize) = (loadSize, loadSize, true);
        else throw new DatasetException("This dataset has images of varying size; give the loader a load size (model.image_size sets it).");
        _workers = workers > 0 ? workers : Environment.ProcessorCount;
        _offsets = new int[_sources.Count];
        for (int i = 1; i < _sources.Count; i++) _offsets[i] = _offsets[i - 1] + _sources[i - 1].Images.Count;
        (_channels, _batchSize, _seed) = (dataset.Channels, batchSize, seed);
    }

    public int Count { get; }
    public long StepsPerEpoch => Count / _batchSize;
    /// <summary>
    /// The (width, height) of every image of a fixed-size dataset; for photographs (varying size), (loadSize, loadSize):
    /// the short side they are loaded at (batches are padded to their largest image).
    /// </summary>
    public (int Width, int Height) ImageSize => (_width, _height);

    /// <summary>Images (B, C, H, W) as floats in [0, 1], labels (B) and, for photographs, their extents, on the CPU. Starts reading batch step+1.</summary>
    public LoadedBatch Batch(long step)
    {
        var pending = _prefetch;
        _prefetch = null;
        var raw = pending is { } p && p.Step == step ? p.Read.GetAwaiter().GetResult() : ReadBatch(step);
        pending?.Read.ContinueWith(t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted); // a stale read's error is not ours
        long next = step + 1;
        _prefetch = (next, Task.Run(() => ReadBatch(next)));
        return ToTensors(raw);
    }

    /// <summary>Decodes (and, for varying-size datasets, resizes and pads) batch <paramref name="step"/> on the worker threads.</summary>
    public RawBatch ReadBatch(long step)
    {
        long epoch = step / StepsPerEpoch;
        int position = (int)(step % StepsPerEpoch);
        var order = Order(epoch);
        var images = new (byte[] Pixels, int Width, int Height)[_batchSize];
        var labels = new long[_batchSize];
        try
        {
            Parallel.For(0, _batchSize, new ParallelOptions { MaxDegreeOfParallelism = _workers }, b => ReadInto(b));
        }
        catch (AggregateException e) // report the dataset's own error (a DatasetException names the file), not the wrapper
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
        if (!_resize)
        {
            int pixels = _width * _height * _channels;
            var buffer = new byte[_batchSize * pixels];
            for (int b = 0; b < _batchSize; b++) Buffer.BlockCopy(images[b].Pixels, 0, buffer, b * pixels, pixels);
            return new RawBatch(buffer, labels, _height, _width, null);
        }
        // Photographs: each in the top-left of a slot as large as the batch's largest, row by row.
        int height = images.Max(i => i.Height), width = images.Max(i => i.Width), slot = height * width * _channels;
        var padded = new byte[_batchSize * slot];
        for (int b = 0; b < _batchSize; b++)
        {
            var (data, w, h) = images[b];
            for (int y = 0; y < h; y++) Buffer.BlockCopy(data, y * w * _channels, padded, b * slot + y * width * _channels, w * _channels);
        }
        return new RawBatch(padded, labels, height, width, images.Select(i => new ImageExtent(i.Height, i.Width)).ToArray());

        void ReadInto(int b)
        {
            int global = order[position * _batchSize + b];
            int s = Array.FindLastIndex(_offsets, o => o <= global);
            var sample = _sources[s].Images.Read(global - _offsets[s]);
            if (sample.Channels != _channels)
                throw new DatasetException($"Image {global} has {sample.Channels} channels; the dataset declares {_channels}.");
            if (sample.Pixels.Length != sample.Width * sample.Height * sample.Channels)
                throw new DatasetException($"Image {global} declares {sample.Width}x{sample.Height}x{sample.Channels} pixels but holds {sample.Pixels.Length} bytes.");
            if (_resize)
                images[b] = ImageResampler.ShortSide(sample.Pixels, sample.Width, sample.Height, sample.Channels, _width, MaxAspect * _width);
            else if (sample.Width != _width || sample.Height != _height)
                throw new DatasetException($"Image {global} has {sample.Width}x{sample.Height}x{sample.Channels} pixels; expected {_width}x{_height}x{_channels}.");
            else
                images[b] = (sample.Pixels, sample.Width, sample.Height);
            labels[b] = _sources[s].Labelled ? sample.Label : -1;
        }
    }

    /// <summary>A read batch as (B, C, H, W) floats in [0, 1], labels and extents.</summary>
    public LoadedBatch ToTensors(RawBatch batch)
    {
        using var scope = NewDisposeScope();
        var images = tensor(batch.Pixels, new long[] { _batchSize, batch.Height, batch.Width, _channels })
            .permute(0, 3, 1, 2).to(ScalarType.Float32).div_(255f);
        return new LoadedBatch(images.MoveToOuterDisposeScope(), tensor(batch.Labels).MoveToOuterDisposeScope(), batch.Extents);
    }

    private int[] Order(long epoch)
    {
        lock (_orderGate) // the prefetch thread and the training thread both ask
        {
            if (_permutation is { } cached && cached.epoch == epoch) return cached.order;
            var order = Enumerable.Range(0, Count).ToArray();
            new Random(StepSeed.For(_seed, epoch, stream: 7)).Shuffle(order);
            _permutation = (epoch, order);
            return order;
        }
    }

    /// <summary>Waits for a read in flight, so that nothing reads the dataset after it is disposed.</summary>
    public void Dispose()
    {
        try { _prefetch?.Read.Wait(); }
        catch (AggregateException) { } // its error belongs to a batch nobody asked for
        _prefetch = null;
    }
}

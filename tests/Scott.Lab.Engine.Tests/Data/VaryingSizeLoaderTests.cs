using Scott.Lab.Abstractions.Data;
using Scott.Lab.Abstractions.Objectives;
using Scott.Lab.Engine.Data;
using TorchSharp;

namespace Scott.Lab.Engine.Tests.Data;

public class VaryingSizeLoaderTests
{
    /// <summary>RGB images of different sizes: image i is (20 + 7i) × (12 + 5i), left half black, right half white.</summary>
    private sealed class Photos(int count) : IImageDataset, IImageSource
    {
        public int Count => count;
        public int LabelAt(int index) => index % 3;
        public ImageSample Read(int index)
        {
            int w = 20 + 7 * index, h = 12 + 5 * index;
            var pixels = new byte[w * h * 3];
            for (int y = 0; y < h; y++)
                for (int x = w / 2; x < w; x++)
                    for (int c = 0; c < 3; c++) pixels[(y * w + x) * 3 + c] = 255;
            return new ImageSample(pixels, w, h, 3, LabelAt(index));
        }
        public string Description => "photos";
        public int Channels => 3;
        public IReadOnlyList<float> Mean => [0.5f, 0.5f, 0.5f];
        public IReadOnlyList<float> Std => [0.5f, 0.5f, 0.5f];
        public IReadOnlyList<string> ClassNames => ["a", "b", "c"];
        public IReadOnlyList<DatasetSplit> Splits => PretrainingSplits;
        public IReadOnlyList<DatasetSplit> PretrainingSplits => [new DatasetSplit("train", SplitRole.Train, this)];
        public (int Width, int Height)? FixedSize => null;
        public void Dispose() { }
    }

    [Fact]
    public void PhotographsKeepTheirWholeImageAtTheLoadSize()
    {
        using var loader = new PretrainingLoader(new Photos(12), batchSize: 4, seed: 1, loadSize: 16, workers: 2);
        Assert.Equal((16, 16), loader.ImageSize);
        for (long step = 0; step < 3; step++)
        {
            var (images, labels, extents) = loader.Batch(step);
            using (images) using (labels)
            {
                Assert.NotNull(extents);
                Assert.Equal(4, extents!.Count);
                Assert.Equal(new long[] { 4, 3, 16, extents.Max(e => e.Width) }, images.shape);
                for (int b = 0; b < 4; b++)
                {
                    var (h, w) = (extents[b].Height, extents[b].Width);
                    // Every photo is wider than tall (aspect under 2): short side 16, the whole width kept, not a 16² centre.
                    Assert.Equal(16, h);
                    Assert.InRange(w, 22, 27);
                    // Half black, half white, split down the middle of the whole image.
                    var left = images[b, .., .., ..(w / 2 - 1)].max().item<float>();
                    var right = images[b, .., .., (w / 2 + 1)..w].min().item<float>();
                    Assert.True(left < 0.05f, $"left half should stay black, max {left}");
                    Assert.True(right > 0.95f, $"right half should stay white, min {right}");
                    if (w < images.shape[3]) Assert.Equal(0f, images[b, .., .., w..].abs().max().item<float>()); // padding
                }
            }
        }
    }

    /// <summary>One 32×16 photo, mid-grey, with a 4×4 patch of its own colour in each corner.</summary>
    private sealed class Corners : IImageDataset, IImageSource
    {
        public static readonly (int X, int Y, byte[] Rgb)[] Patches = [(0, 0, [255, 0, 0]), (28, 0, [0, 255, 0]), (0, 12, [0, 0, 255]), (28, 12, [255, 255, 255])];
        public int Count => 2;
        public int LabelAt(int index) => 0;
        public ImageSample Read(int index)
        {
            var pixels = Enumerable.Repeat((byte)128, 32 * 16 * 3).ToArray();
            foreach (var (px, py, rgb) in Patches)
                for (int y = py; y < py + 4; y++)
                    for (int x = px; x < px + 4; x++)
                        for (int c = 0; c < 3; c++) pixels[(y * 32 + x) * 3 + c] = rgb[c];
            return new ImageSample(pixels, 32, 16, 3, 0);
        }
        public string Description => "corners";
        public int Channels => 3;
        public IReadOnlyList<float> Mean => [0f, 0f, 0f];
        public IReadOnlyList<float> Std => [1f, 1f, 1f];
        public IReadOnlyList<string> ClassNames => ["a"];
        public IReadOnlyList<DatasetSplit> Splits => PretrainingSplits;
        public IReadOnlyList<DatasetSplit> PretrainingSplits => [new DatasetSplit("train", SplitRole.Train, this)];
        public (int Width, int Height)? FixedSize => null;
        public void Dispose() { }
    }

    [Fact]
    public void ThePretrainingCropCanReachTheCornersOfANonSquareImage()
    {
        // A 16² centre crop of the 32×16 photo (columns 8–23) would hold none of the corner patches.
        using var dataset = new Corners();
        using var loader = new PretrainingLoader(dataset, batchSize: 2, seed: 0, loadSize: 16, workers: 1);
        var (images, labels, extents) = loader.Batch(0);
        using var _ = images;
        using var __ = labels;
        Assert.Equal([new ImageExtent(16, 32), new ImageExtent(16, 32)], extents!);
        var augment = new ViewAugmentation(8, dataset.Mean, dataset.Std, new AugmentOptions { CropScale = [0.05, 0.2], FlipP = 0, ColorP = 0 });
        var seen = new bool[Corners.Patches.Length];
        for (int draw = 0; draw < 200 && !seen.All(s => s); draw++)
        {
            using var scope = torch.NewDisposeScope();
            var view = augment.Views(images, new ViewRequest(1, SharedGeometry: true), new Random(draw), extents)[0]; // (2, 3, 8, 8)
            for (int p = 0; p < seen.Length; p++)
            {
                // A pixel of the patch's own colour (channels near 1 where the patch has 255, near 0 where it has 0).
                var target = torch.tensor(Corners.Patches[p].Rgb.Select(v => v / 255f).ToArray()).view(1, 3, 1, 1);
                if ((view - target).abs().amax([1]).lt(0.1f).any().item<bool>()) seen[p] = true;
            }
        }
        Assert.True(seen.All(s => s), $"corners reached (top-left, top-right, bottom-left, bottom-right): {string.Join(", ", seen)}");
    }

    [Fact]
    public void AVaryingSizeDatasetWithoutALoadSizeIsRefusedWithTheReason()
    {
        var e = Assert.Throws<DatasetException>(() => new PretrainingLoader(new Photos(8), batchSize: 4, seed: 1));
        Assert.Contains("varying size", e.Message);
    }

    [Fact]
    public void PrefetchingDoesNotChangeWhatABatchHolds()
    {
        // One loader reads ahead step by step; the other reads each step cold, out of order.
        using var sequential = new PretrainingLoader(new Photos(12), batchSize: 4, seed: 5, loadSize: 8);
        using var cold = new PretrainingLoader(new Photos(12), batchSize: 4, seed: 5, loadSize: 8);
        var expected = new[] { 4L, 0, 2, 1, 3 }.ToDictionary(s => s, s => cold.ReadBatch(s).Labels);
        for (long step = 0; step < 5; step++)
        {
            var (images, labels, _) = sequential.Batch(step);
            using (images) using (labels) Assert.Equal(expected[step], labels.data<long>().ToArray());
        }
    }

    [Fact]
    public void AnUnreadableImageSurfacesAsTheDatasetsOwnError()
    {
        var broken = new BrokenSource();
        var dataset = new Wrapper(broken);
        using var loader = new PretrainingLoader(dataset, batchSize: 2, seed: 0, loadSize: 8);
        var e = Assert.Throws<DatasetException>(() => loader.Batch(0));
        Assert.Contains("broken.jpg", e.Message);
    }

    private sealed class BrokenSource : IImageSource
    {
        public int Count => 4;
        public int LabelAt(int index) => 0;
        public ImageSample Read(int index) => throw new DatasetException("cannot decode /data/broken.jpg");
    }

    private sealed class Wrapper(IImageSource source) : IImageDataset
    {
        public string Description => "broken";
        public int Channels => 3;
        public IReadOnlyList<float> Mean => [0f, 0f, 0f];
        public IReadOnlyList<float> Std => [1f, 1f, 1f];
        public IReadOnlyList<string> ClassNames => ["x"];
        public IReadOnlyList<DatasetSplit> Splits => PretrainingSplits;
        public IReadOnlyList<DatasetSplit> PretrainingSplits => [new DatasetSplit("train", SplitRole.Train, source)];
        public (int Width, int Height)? FixedSize => null;
        public void Dispose() { }
    }
}

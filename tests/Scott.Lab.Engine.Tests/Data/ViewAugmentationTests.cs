using Scott.Lab.Tests.Shared;
using Scott.Lab.Abstractions.Objectives;
using Scott.Lab.Engine.Data;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Scott.Lab.Engine.Tests.Data;

public class ViewAugmentationTests
{
    private static readonly float[] Mean3 = [0.5f, 0.4f, 0.3f], Std3 = [0.25f, 0.2f, 0.1f];

    private static AugmentOptions NoColour() => new() { ColorP = 0 };

    private static double MaxAbs(Tensor t) => t.abs().max().item<float>();

    private static Tensor Images(int batch, int channels, int size, int seed)
    {
        var generator = new Generator((ulong)seed);
        return rand(new long[] { batch, channels, size, size }, generator: generator);
    }

    [Fact]
    public void Views_have_the_requested_count_and_image_size()
    {
        using var scope = NewDisposeScope();
        var augment = new ViewAugmentation(8, Mean3, Std3, new AugmentOptions());
        var views = augment.Views(Images(3, 3, 12, 1), new ViewRequest(2, SharedGeometry: true), new Random(1));
        Assert.Equal(2, views.Count);
        Assert.All(views, v => Assert.Equal(new long[] { 3, 3, 8, 8 }, v.shape));
        var single = augment.Views(Images(3, 1, 20, 1), new ViewRequest(1, SharedGeometry: false), new Random(1));
        Assert.Equal(new long[] { 3, 1, 8, 8 }, Assert.Single(single).shape);
    }

    [Fact]
    public void Shared_geometry_without_colour_gives_identical_views()
    {
        using var scope = NewDisposeScope();
        var augment = new ViewAugmentation(8, Mean3, Std3, NoColour());
        var views = augment.Views(Images(4, 3, 12, 2), new ViewRequest(3, SharedGeometry: true), new Random(5));
        Assert.True(TensorAssert.Same(views[0], views[1]));
        Assert.True(TensorAssert.Same(views[0], views[2]));
    }

    [Fact]
    public void Independent_geometry_without_colour_gives_different_views()
    {
        using var scope = NewDisposeScope();
        var augment = new ViewAugmentation(8, Mean3, Std3, NoColour());
        var views = augment.Views(Images(4, 3, 12, 2), new ViewRequest(2, SharedGeometry: false), new Random(5));
        Assert.True(MaxAbs(views[0] - views[1]) > 1e-2);
    }

    [Fact]
    public void Shared_geometry_with_colour_gives_different_views_with_the_same_crop()
    {
        // Only brightness jitter on a 1-channel image in [0.1, 0.5]: with factors in [0.6, 1.4] nothing clamps, so each
        // view is factor·crop. Same crop ⇔ the two views are proportional pixel by pixel.
        using var scope = NewDisposeScope();
        var options = new AugmentOptions { ColorP = 1, JitterP = 1, Brightness = 0.4, Contrast = 0, Saturation = 0, Hue = 0, GrayP = 0, BlurP = 0, FlipP = 0.5 };
        var augment = new ViewAugmentation(8, [0f], [1f], options);
        var images = 0.1 + 0.4 * Images(6, 1, 16, 3);
        var views = augment.Views(images, new ViewRequest(2, SharedGeometry: true), new Random(11));
        Assert.True(MaxAbs(views[0] - views[1]) > 1e-3, "colour is drawn per view");
        var ratio = views[1] / views[0];                                    // (B, 1, 8, 8)
        var perSample = ratio.flatten(1);
        Assert.True(MaxAbs(perSample - perSample[.., 0..1]) < 1e-4, "views must be proportional: same crop, different brightness");

        // Control: the same test on independent geometry finds non-proportional views.
        var independent = augment.Views(images, new ViewRequest(2, SharedGeometry: false), new Random(11));
        var r = (independent[1] / independent[0]).flatten(1);
        Assert.True(MaxAbs(r - r[.., 0..1]) > 1e-2);
    }

    [Fact]
    public void Views_are_a_pure_function_of_the_random_generator()
    {
        using var scope = NewDisposeScope();
        var augment = new ViewAugmentation(8, Mean3, Std3, new AugmentOptions { ColorP = 1 });
        var images = Images(4, 3, 12, 4);
        var a = augment.Views(images, new ViewRequest(2, true), new Random(3));
        var b = augment.Views(images, new ViewRequest(2, true), new Random(3));
        Assert.True(TensorAssert.Same(a[0], b[0]) && TensorAssert.Same(a[1], b[1]));
    }

    [Fact]
    public void Crop_of_the_full_image_without_flip_is_the_identity()
    {
        using var scope = NewDisposeScope();
        var options = new AugmentOptions { CropScale = [1.0, 1.0], FlipP = 0 };
        var augment = new ViewAugmentation(12, Mean3, Std3, options);
        var images = Images(2, 3, 12, 6);
        // Area 1 with aspect ≠ 1 never fits a 12×12 image after rounding, so every crop is the full image.
        var cropped = augment.CropAndFlip(images, new Random(0));
        Assert.Equal(images.shape, cropped.shape);
        Assert.True(MaxAbs(cropped - images) < 1e-5);
    }

    [Fact]
    public void Crops_stay_inside_each_images_extent_of_a_padded_batch()
    {
        using var scope = NewDisposeScope();
        // Two black images, 6×12 and 12×5, in 12×12 slots whose padding is white: no crop may show any white.
        var images = ones(2, 3, 12, 12);
        images[0, .., ..6, ..12] = zeros(3, 6, 12);
        images[1, .., ..12, ..5] = zeros(3, 12, 5);
        var augment = new ViewAugmentation(8, Mean3, Std3, new AugmentOptions { CropScale = [0.2, 1.0] });
        for (int seed = 0; seed < 50; seed++)
        {
            var cropped = augment.CropAndFlip(images, new Random(seed), [new ImageExtent(6, 12), new ImageExtent(12, 5)]);
            Assert.True(MaxAbs(cropped) < 1e-6, $"seed {seed}: a crop left its image");
        }
        Assert.Throws<ArgumentException>(() => augment.CropAndFlip(images, new Random(0), [new ImageExtent(6, 12)]));
    }

    [Fact]
    public void Flip_probability_1_mirrors_the_image()
    {
        using var scope = NewDisposeScope();
        var options = new AugmentOptions { CropScale = [1.0, 1.0], FlipP = 1 };
        var augment = new ViewAugmentation(12, Mean3, Std3, options);
        var images = Images(2, 3, 12, 6);
        var cropped = augment.CropAndFlip(images, new Random(0));
        Assert.True(MaxAbs(cropped - images.flip(3)) < 1e-5);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(12)]
    public void Plain_of_an_image_equal_to_the_mean_is_zero(int inputSize)
    {
        using var scope = NewDisposeScope();
        var augment = new ViewAugmentation(8, Mean3, Std3, new AugmentOptions());
        var images = tensor(Mean3).view(1, 3, 1, 1).expand(2, 3, inputSize, inputSize).contiguous();
        var plain = augment.Plain(images);
        Assert.Equal(new long[] { 2, 3, 8, 8 }, plain.shape);
        Assert.True(MaxAbs(plain) < 1e-5);
        // And one std above the mean is 1.
        var plus = augment.Plain(images + tensor(Std3).view(1, 3, 1, 1));
        Assert.True(MaxAbs(plus - 1) < 1e-4);
    }

    [Fact]
    public void Crop_resize_is_bicubic_not_bilinear()
    {
        using var scope = NewDisposeScope();
        // A smooth, non-linear image (bilinear and bicubic agree on linear ramps, so use a curved one).
        const int n = 12;
        var coords = arange(n, dtype: ScalarType.Float32) / (n - 1);
        var image = ((coords.view(n, 1) * 3).sin() * (coords.view(1, n) * 2).cos() + coords.view(n, 1).pow(2)) / 2 + 0.25;
        var input = image.view(1, 1, n, n).contiguous();
        // Whole-image crop, no flip: the geometry step is then a pure 2x resize.
        var augment = new ViewAugmentation(2 * n, [0.5f], [0.25f], new AugmentOptions { CropScale = [1.0, 1.0], FlipP = 0 });
        var resized = augment.CropAndFlip(input, new Random(1));

        var size = new long[] { 2 * n, 2 * n };
        var bicubic = F.interpolate(input, size, mode: InterpolationMode.Bicubic, align_corners: false).clamp(0, 1);
        var bilinear = F.interpolate(input, size, mode: InterpolationMode.Bilinear, align_corners: false);
        Assert.True(MaxAbs(resized - bicubic) < 1e-6, "the crop must be resized bicubically");
        Assert.True(MaxAbs(resized - bilinear) > 1e-3, "and that must differ from bilinear on this image");
    }

    [Fact]
    public void Blur_is_a_separable_gaussian_with_reflect_padding_and_keeps_constants()
    {
        using var scope = NewDisposeScope();
        const int size = 30; // kernel: round(30 * 0.1) | 1 = 3 taps, radius 1
        var options = new AugmentOptions { ColorP = 1, JitterP = 0, GrayP = 0, BlurP = 1, BlurSigma = [1.0, 1.0] };
        var augment = new ViewAugmentation(size, Mean3, Std3, options);
        var delta = zeros(1, 1, size, size);
        delta[0, 0, 10, 20] = tensor(1f);
        var constant = full(new long[] { 1, 1, size, size }, 0.7f);
        var blurred = augment.Colour(cat([delta, constant], 0), new Random(3));

        double e = Math.Exp(-0.5), k0 = 1 / (1 + 2 * e), k1 = e / (1 + 2 * e); // the 3-tap Gaussian, sigma 1
        Assert.Equal(k0 * k0, blurred[0, 0, 10, 20].item<float>(), 5);
        Assert.Equal(k0 * k1, blurred[0, 0, 11, 20].item<float>(), 5);
        Assert.Equal(k1 * k1, blurred[0, 0, 9, 21].item<float>(), 5);
        Assert.Equal(1.0, blurred[0].sum().item<float>(), 4);
        Assert.True(MaxAbs(blurred[1] - 0.7f) < 1e-5, "a constant image stays constant (reflect padding at the borders)");
    }

    [Fact]
    public void Normalised_pixels_have_zero_mean_and_unit_std_when_the_statistics_match()
    {
        using var scope = NewDisposeScope();
        // Uniform pixels in [shift, shift + 0.5]: channel c has mean 0.25 + shift_c and std 0.5/√12.
        var scale = tensor(new[] { 0.5f, 0.5f, 0.5f }).view(1, 3, 1, 1);
        var shift = tensor(new[] { 0.0f, 0.125f, 0.25f }).view(1, 3, 1, 1);
        var images = Images(64, 3, 16, 9) * scale + shift;
        float[] mean = [0.25f, 0.375f, 0.5f], std = Enumerable.Repeat((float)(0.5 / Math.Sqrt(12)), 3).ToArray();
        var augment = new ViewAugmentation(16, mean, std, NoColour());
        foreach (var view in new[] { augment.Plain(images), augment.Views(images, new ViewRequest(1, SharedGeometry: true), new Random(4))[0] })
            for (int c = 0; c < 3; c++)
            {
                var channel = view[.., c];
                Assert.InRange(channel.mean().item<float>(), -0.05f, 0.05f);
                Assert.InRange(channel.std().item<float>(), 0.85f, 1.05f); // crops resample (bicubic smooths a little)
            }
    }
}

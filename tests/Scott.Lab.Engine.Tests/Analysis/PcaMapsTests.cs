using Scott.Lab.Tests.Shared;
using Scott.Lab.Engine.Analysis;
using static TorchSharp.torch;

namespace Scott.Lab.Engine.Tests.Analysis;

public class PcaMapsTests
{
    /// <summary>M points with std 5, 3, 1, 0.1, 0.1, 0.1 along the rows of a random orthogonal basis R, shifted by a mean.</summary>
    private static (Tensor Data, Tensor Axes) KnownAxes(int m = 4000, int d = 6, int seed = 3)
    {
        var generator = new Generator((ulong)seed);
        var (q, _) = linalg.qr(randn(d, d, dtype: ScalarType.Float64, generator: generator));
        var axes = q.t(); // rows orthonormal
        var stds = tensor(new[] { 5.0, 3.0, 1.0, 0.1, 0.1, 0.1 });
        var z = randn(m, d, dtype: ScalarType.Float64, generator: generator) * stds;
        return (z.matmul(axes) + 7.0, axes);
    }

    [Fact]
    public void Pca_recovers_known_axes_up_to_sign_orthonormal_and_ordered()
    {
        using var scope = NewDisposeScope();
        var (data, axes) = KnownAxes();
        using var fit = PcaFit.Fit(data.to(ScalarType.Float32), 3);

        Assert.Equal(new long[] { 3, 6 }, fit.Components.shape);
        for (int i = 0; i < 3; i++)
        {
            double cosine = Math.Abs(fit.Components[i].dot(axes[i]).item<double>());
            Assert.True(cosine > 0.999, $"axis {i}: |cos| = {cosine}");
        }
        var gram = fit.Components.matmul(fit.Components.t());
        Assert.True((gram - eye(3, dtype: ScalarType.Float64)).abs().max().item<double>() < 1e-9);

        var variance = fit.ExplainedVariance.data<double>().ToArray();
        Assert.True(variance[0] > variance[1] && variance[1] > variance[2]);
        Assert.InRange(variance[0], 25 * 0.9, 25 * 1.1);
        Assert.InRange(variance[1], 9 * 0.9, 9 * 1.1);
        Assert.InRange(variance[2], 1 * 0.9, 1 * 1.1);
        double ratioSum = fit.ExplainedVarianceRatio.sum().item<double>();
        Assert.InRange(ratioSum, 0.99, 1.0 + 1e-9); // 35 of 35.03
        Assert.True((fit.Mean - 7).abs().max().item<double>() < 0.3);
    }

    [Fact]
    public void Pca_signs_are_deterministic_largest_entry_positive()
    {
        using var scope = NewDisposeScope();
        var (data, _) = KnownAxes();
        using var a = PcaFit.Fit(data, 3);
        using var b = PcaFit.Fit(-data, 3);
        Assert.True((a.Components - b.Components).abs().max().item<double>() < 1e-9);
        var largest = a.Components.abs().argmax(1, keepdim: true);
        Assert.True(a.Components.gather(1, largest).min().item<double>() > 0);
    }

    /// <summary>
    /// N images on a 4×4 grid: tokens of the left two columns of every image near one point, the others near another,
    /// 10 apart; inside each region the tokens vary in 3 more directions, so that the colour PCA has 3 axes.
    /// </summary>
    private static (Tensor Tokens, Tensor Region) TwoRegions(int n = 3, int d = 8)
    {
        var generator = new Generator(11);
        var region = zeros(n, 4, 4, dtype: ScalarType.Bool);
        region[.., .., ..2] = tensor(true);
        var a = zeros(d, dtype: ScalarType.Float64); a[0] = tensor(10.0);
        var b = zeros(d, dtype: ScalarType.Float64);
        var noise = randn(n, 16, d, dtype: ScalarType.Float64, generator: generator) * 0.3;
        var flatRegion = region.reshape(n, 16, 1);
        var tokens = where(flatRegion, a.expand(n, 16, d), b.expand(n, 16, d)) + noise;
        return (tokens.to(ScalarType.Float32), region);
    }

    [Fact]
    public void The_background_threshold_splits_two_regions_and_the_sign_flips_them()
    {
        using var scope = NewDisposeScope();
        var (tokens, region) = TwoRegions();
        using var plus = PcaMaps.Compute(tokens, 4, 4, new PcaMapOptions(0.5, 1));
        using var minus = PcaMaps.Compute(tokens, 4, 4, new PcaMapOptions(0.5, -1));

        Assert.Equal(new long[] { 3, 4, 4 }, plus.ForegroundMask.shape);
        bool plusIsRegion = TensorAssert.Same(plus.ForegroundMask, region);
        Assert.True(plusIsRegion || TensorAssert.Same(plus.ForegroundMask, region.logical_not()), "sign 1 mask is neither region");
        Assert.True(TensorAssert.Same(minus.ForegroundMask, plus.ForegroundMask.logical_not()), "sign -1 does not give the complement");
        Assert.InRange(plus.Pc1Scaled.min().item<double>(), 0, 1e-12);
        Assert.InRange(plus.Pc1Scaled.max().item<double>(), 1 - 1e-12, 1);

        // Background black, foreground coloured; the maps are (N, h, w, 3) bytes.
        Assert.Equal(new long[] { 3, 4, 4, 3 }, plus.Maps.shape);
        Assert.Equal(ScalarType.Byte, plus.Maps.dtype);
        var sums = plus.Maps.to(ScalarType.Int64).sum(-1);
        Assert.Equal(0, sums.masked_select(plus.ForegroundMask.logical_not()).max().item<long>());
        Assert.True(sums.masked_select(plus.ForegroundMask).gt(0).to(ScalarType.Float32).mean().item<float>() > 0.8);
        // Each colour channel is min-max scaled over the set's foreground tokens: it reaches 0 and 255 there.
        var fg = plus.Maps.reshape(-1, 3).index_select(0, plus.ForegroundMask.flatten().nonzero().squeeze(1));
        for (int c = 0; c < 3; c++)
        {
            Assert.Equal(0, fg[.., c].min().item<byte>());
            Assert.Equal(255, fg[.., c].max().item<byte>());
        }
        Assert.Equal(3, plus.Foreground.Count);
    }

    [Fact]
    public void With_colour_background_every_token_is_coloured_from_a_pca_of_all_tokens()
    {
        using var scope = NewDisposeScope();
        var (tokens, _) = TwoRegions();
        using var all = PcaMaps.Compute(tokens, 4, 4, new PcaMapOptions(0.5, 1, ColourBackground: true));
        using var fit = PcaFit.Fit(tokens.reshape(-1, 8), 3);
        Assert.True((all.Foreground.Components - fit.Components).abs().max().item<double>() < 1e-9);
        // The first colour axis is the region axis: it separates the regions at its extremes.
        var red = all.Maps[.., .., .., 0].to(ScalarType.Int64);
        Assert.True(red.min().item<long>() == 0 && red.max().item<long>() == 255);
    }

    [Fact]
    public void Bad_options_and_no_foreground_are_clear_errors()
    {
        using var scope = NewDisposeScope();
        var (tokens, _) = TwoRegions();
        Assert.Throws<ArgumentException>(() => PcaMaps.Compute(tokens, 4, 4, new PcaMapOptions(0.5, 2)));
        Assert.Throws<ArgumentException>(() => PcaMaps.Compute(tokens, 4, 4, new PcaMapOptions(1.0, 1)));
        Assert.Throws<ArgumentException>(() => PcaMaps.Compute(tokens, 5, 4));
        // One outlier token far along pc1: at threshold 0.99 only it is foreground.
        var outlier = tokens.clone();
        outlier[0, 0, 0] = tensor(1000f);
        var e = Assert.Throws<InvalidOperationException>(() => PcaMaps.Compute(outlier, 4, 4, new PcaMapOptions(0.99, 1)));
        Assert.Contains("foreground", e.Message);
    }

    [Fact]
    public void Upsampling_nearest_repeats_each_token_and_bilinear_keeps_the_range()
    {
        using var scope = NewDisposeScope();
        var maps = randint(0, 256, new long[] { 2, 3, 3, 3 }).to(ScalarType.Byte);
        var nearest = PcaMaps.Upsample(maps, 12, 12);
        Assert.Equal(new long[] { 2, 12, 12, 3 }, nearest.shape);
        for (int y = 0; y < 12; y++)
            for (int x = 0; x < 12; x++)
                Assert.True(TensorAssert.Same(nearest[.., y, x], maps[.., y / 4, x / 4]));
        var bilinear = PcaMaps.Upsample(maps, 12, 12, Upsampling.Bilinear);
        Assert.Equal(new long[] { 2, 12, 12, 3 }, bilinear.shape);
        Assert.True(bilinear.min().item<byte>() >= maps.min().item<byte>() && bilinear.max().item<byte>() <= maps.max().item<byte>());
    }
}

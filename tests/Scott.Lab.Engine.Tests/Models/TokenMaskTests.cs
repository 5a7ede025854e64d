using Scott.Lab.Tests.Shared;
using Scott.Lab.Abstractions.Masking;
using static TorchSharp.torch;

namespace Scott.Lab.Engine.Tests.Models;

public class TokenMaskTests
{
    public static TheoryData<MaskMode, int, double> Cases()
    {
        var data = new TheoryData<MaskMode, int, double>();
        foreach (var mode in new[] { MaskMode.Blockwise, MaskMode.Uniform })
            foreach (var side in new[] { 7, 8, 14 })
                foreach (var ratio in new[] { 0.6, 0.75, 0.5 })
                    data.Add(mode, side, ratio);
        return data;
    }

    /// <summary>ceil((1 − ratio)·N) in decimal arithmetic, so that 0.4·N has no binary rounding.</summary>
    private static int ExpectedKeep(int tokens, double ratio) => (int)Math.Ceiling((1m - (decimal)ratio) * tokens);

    private static float[][] Rows(Tensor masks)
    {
        long b = masks.shape[0], n = masks.shape[1];
        var flat = masks.data<float>().ToArray();
        return Enumerable.Range(0, (int)b).Select(i => flat.Skip(i * (int)n).Take((int)n).ToArray()).ToArray();
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_row_keeps_exactly_ceil_of_1_minus_ratio_times_N(MaskMode mode, int side, double ratio)
    {
        var generator = new TokenMaskGenerator(side, side, ratio, mode, seed: 123);
        int expected = ExpectedKeep(side * side, ratio);
        Assert.Equal(expected, generator.KeepCount);
        for (int round = 0; round < 4; round++)
        {
            using var masks = generator.Next(16);
            Assert.Equal(new long[] { 16, side * side }, masks.shape);
            Assert.Equal(ScalarType.Float32, masks.dtype);
            foreach (var row in Rows(masks))
            {
                Assert.All(row, v => Assert.True(v == 0f || v == 1f));
                Assert.Equal(expected, (int)row.Sum());
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Rows_differ_within_a_batch(MaskMode mode, int side, double ratio)
    {
        var generator = new TokenMaskGenerator(side, side, ratio, mode, seed: 7);
        using var masks = generator.Next(8);
        var distinct = Rows(masks).Select(r => string.Concat(r.Select(v => v > 0 ? '1' : '0'))).Distinct().Count();
        Assert.True(distinct >= 6, $"only {distinct} distinct masks among 8");
    }

    [Theory]
    [InlineData(MaskMode.Blockwise)]
    [InlineData(MaskMode.Uniform)]
    public void Same_seed_gives_same_masks_and_Reseed_reproduces(MaskMode mode)
    {
        var a = new TokenMaskGenerator(14, 14, 0.6, mode, seed: 42);
        var b = new TokenMaskGenerator(14, 14, 0.6, mode, seed: 42);
        using var a1 = a.Next(4);
        using var a2 = a.Next(4);
        using var b1 = b.Next(4);
        Assert.True(TensorAssert.Same(a1, b1));
        Assert.False(TensorAssert.Same(a1, a2), "consecutive draws must differ");

        a.Reseed(42);
        using var again = a.Next(4);
        Assert.True(TensorAssert.Same(again, a1));

        a.Reseed(43);
        using var other = a.Next(4);
        Assert.False(TensorAssert.Same(other, a1));
    }

    [Fact]
    public void Blockwise_masks_are_spatially_clustered_and_uniform_ones_are_not()
    {
        double blockwise = NeighbourShare(MaskMode.Blockwise), uniform = NeighbourShare(MaskMode.Uniform);
        // Uniform: a kept token's neighbour is kept with probability ~0.4. Blocks push this well up.
        Assert.InRange(uniform, 0.3, 0.5);
        Assert.True(blockwise > uniform + 0.2, $"blockwise {blockwise} vs uniform {uniform}");

        static double NeighbourShare(MaskMode mode)
        {
            const int side = 14;
            using var masks = new TokenMaskGenerator(side, side, 0.6, mode, seed: 9).Next(64);
            int pairs = 0, kept = 0;
            foreach (var row in Rows(masks))
                for (int y = 0; y < side; y++)
                    for (int x = 0; x + 1 < side; x++)
                        if (row[y * side + x] > 0) { pairs++; if (row[y * side + x + 1] > 0) kept++; }
            return kept / (double)pairs;
        }
    }

    [Fact]
    public void Device_argument_and_bad_arguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenMaskGenerator(4, 4, 1.0, MaskMode.Uniform, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenMaskGenerator(4, 4, -0.1, MaskMode.Uniform, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenMaskGenerator(0, 4, 0.5, MaskMode.Uniform, 0));
        // Ratio 0 keeps everything.
        using var all = new TokenMaskGenerator(3, 3, 0.0, MaskMode.Blockwise, 0).Next(2);
        Assert.Equal(18f, all.sum().item<float>());
    }
}

using Scott.Lab.Runs.Comparison;

namespace Scott.Lab.Runs.Tests.Comparison;

public sealed class LttbTests
{
    private static (double[] X, double[] Y) Noise(int n, int seed = 1)
    {
        var random = new Random(seed);
        return (Enumerable.Range(0, n).Select(i => (double)i).ToArray(), Enumerable.Range(0, n).Select(_ => random.NextDouble()).ToArray());
    }

    [Fact]
    public void ItReturnsExactlyTheRequestedNumberOfPointsInOrderWithBothEnds()
    {
        var (x, y) = Noise(20_000);
        int[] kept = Lttb.SelectIndices(x, y, 500);
        Assert.Equal(500, kept.Length);
        Assert.Equal(0, kept[0]);
        Assert.Equal(19_999, kept[^1]);
        Assert.True(kept.Zip(kept.Skip(1)).All(p => p.First < p.Second), "indices must be strictly increasing");
    }

    [Fact]
    public void ASpikeSurvivesWhereEveryKthPointWouldLoseIt()
    {
        var x = Enumerable.Range(0, 10_000).Select(i => (double)i).ToArray();
        var y = x.Select(v => 1.0 - v / 20_000).ToArray();
        y[4_321] = 50; // one diverging step
        int[] kept = Lttb.SelectIndices(x, y, 200);
        Assert.Contains(4_321, kept);
        Assert.DoesNotContain(4_321, Enumerable.Range(0, 200).Select(i => i * 50)); // what striding would have kept
    }

    [Fact]
    public void ShortSeriesAreKeptWhole()
    {
        var (x, y) = Noise(7);
        Assert.Equal([0, 1, 2, 3, 4, 5, 6], Lttb.SelectIndices(x, y, 10));
        Assert.Empty(Lttb.SelectIndices([], [], 10));
    }

    [Fact]
    public void BadArgumentsSayWhatIsWrong()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Lttb.SelectIndices([1, 2, 3, 4], [1, 2, 3, 4], 2));
        Assert.Contains("at least 3", e.Message);
        Assert.Throws<ArgumentException>(() => Lttb.SelectIndices([1, 2], [1], 10));
    }
}

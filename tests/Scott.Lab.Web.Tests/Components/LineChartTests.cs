using Bunit;
using Scott.Lab.Runs.Comparison;
using Scott.Lab.Web.Components.Charts;

namespace Scott.Lab.Web.Tests.Components;

/// <summary>What the interactive chart sends to the browser, computed on the server (the browser side is in the E2E tests).</summary>
public sealed class LineChartTests : PortalComponentTest
{
    [Fact]
    public void ASinglePointIsKeptAndDrawnWithAMarker()
    {
        var prepared = PreparedSeries.Prepare(new ChartSeries("loss", [60], [0.25]), smoothing: 0, logY: false, maxPoints: 1000);
        Assert.Equal([60.0], prepared.X);
        Assert.Equal([0.25], prepared.Y);

        var cut = Render<LineChart>(p => p.Add(c => c.Series, [new ChartSeries("loss", [60], [0.25])]).Add(c => c.TestId, "one"));
        Assert.Equal("1", cut.Find("[data-testid=one]").GetAttribute("data-points"));
    }

    [Fact]
    public void TwentyThousandPointsAreDownsampledOnTheServerKeepingTheEndsAndASpike()
    {
        var x = Enumerable.Range(1, 20_000).Select(i => (double)i).ToArray();
        var y = x.Select(s => s == 12_345 ? 50 : 2 / (1 + s / 500)).ToArray();
        var prepared = PreparedSeries.Prepare(new ChartSeries("loss", x, y), smoothing: 0, logY: false, maxPoints: ComparisonLoader.MaxPoints);
        Assert.Equal(ComparisonLoader.MaxPoints, prepared.X.Length);
        Assert.Equal(1, prepared.X[0]);
        Assert.Equal(20_000, prepared.X[^1]);
        Assert.Contains(12_345.0, prepared.X); // LTTB keeps the blow-up that every-k-th sampling would drop
    }

    [Fact]
    public void SmoothingIsAnEmaOverEveryPointBeforeDownsamplingAndKeepsTheRawValues()
    {
        double[] x = [1, 2, 3, 4], y = [1, 0, 1, 0];
        var prepared = PreparedSeries.Prepare(new ChartSeries("loss", x, y), smoothing: 0.5, logY: false, maxPoints: 1000);
        Assert.Equal(y, prepared.RawY);
        Assert.Equal(ComparisonBuilder.Smooth(y, 0.5), prepared.Y);
        Assert.Equal(1.0, prepared.Y[0]); // debiased: the curve starts at the first value
        Assert.InRange(prepared.Y[1], 0.3, 0.4);
    }

    [Fact]
    public void ALogAxisLeavesOutWhatItCannotPlace()
    {
        var prepared = PreparedSeries.Prepare(new ChartSeries("lr", [1, 2, 3], [0, 1e-3, -1]), smoothing: 0, logY: true, maxPoints: 1000);
        Assert.Equal([2.0], prepared.X);
    }

    [Fact]
    public void TheStartingRangeDoesNotBlowNoiseUpToTheWholeChart()
    {
        // The run: a loss between 0.2476 and 0.2516 filled the chart from bottom to top.
        var (low, high) = ChartRange.Initial([0.2476, 0.2516, 0.2497])!.Value;
        Assert.True(high - low >= 0.1 * 0.2516, $"{low}..{high} is too tight");
        Assert.True(low <= 0.2476 && high >= 0.2516);
        // A curve that really moves keeps its own range (plus a small pad), and positive values stay above zero.
        var (l2, h2) = ChartRange.Initial([2.0, 0.5])!.Value;
        Assert.InRange(l2, 0.4, 0.5);
        Assert.InRange(h2, 2.0, 2.1);
        Assert.True(ChartRange.Initial([1e-4, 0])!.Value.Min >= 0);
        Assert.Null(ChartRange.Initial([double.NaN]));
    }

    [Fact]
    public void EmptySeriesSayThereIsNoDataYet()
    {
        var cut = Render<LineChart>(p => p.Add(c => c.Series, [new ChartSeries("acc", [], [])]).Add(c => c.TestId, "empty"));
        Assert.Contains("No data yet.", cut.Find("[data-testid=empty-empty]").TextContent);
    }
}

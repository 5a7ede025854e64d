using Scott.Lab.Runs;
using Scott.Lab.Runs.Comparison;
using Scott.Lab.Web.Features.Compare;

namespace Scott.Lab.Web.Tests.Compare;

public sealed class ParallelPlotTests
{
    private static ComparedRun Run(string name, string color) =>
        new(name, name, color, RunStatus.Completed, "d", "t", "o", 10, 10, DateTime.UtcNow);

    [Fact]
    public void LabelsAreTheLastPartOfTheKeyAndStayDistinct()
    {
        Assert.Equal(["mask_ratio", "train_count", "model.width", "probe.width"],
            ParallelPlot.Labels(["objective.options.mask_ratio", "dataset.options.train_count", "model.width", "probe.width"]));
        Assert.Equal("a_very_long_hyper…", ParallelPlot.Labels(["x.a_very_long_hyperparameter_name"])[0]);
    }

    [Fact]
    public void CategoriesAreTicksAndAMissingValueGetsItsOwnTickBelowTheValues()
    {
        var parallel = new ParallelCoordinates(
        [
            new ParallelAxis("objective.id", [0, 1, null], ["mae", "mim-jepa"], IsMetric: false),
            new ParallelAxis("objective.options.mask_ratio", [0.5, 0.75, null], null, IsMetric: false),
            new ParallelAxis("loss", [0.3, 0.2, 0.25], null, IsMetric: true),
        ]);
        var runs = new[] { Run("narrow-run", "#111111"), Run("wide", "#222222"), Run("mae-without-mask", "#333333") };

        var dims = ParallelPlot.Dimensions(parallel, runs);

        Assert.Equal(["run", "id", "mask_ratio", "loss"], dims.Select(d => d.Label));
        Assert.Equal(["narrow-run", "wide", "mae-without-mask"], dims[0].TickText!); // the lines are named on the first axis

        var category = dims[1];
        Assert.Equal(["missing", "mae", "mim-jepa"], category.TickText!);
        Assert.Equal([-1.0, 0, 1], category.TickVals!);
        Assert.Equal([0.0, 1, -1], category.Values);

        var numeric = dims[2];
        Assert.Equal("objective.options.mask_ratio", numeric.Key);
        Assert.Equal("missing", numeric.TickText![0]);
        double missingAt = numeric.TickVals![0];
        Assert.True(missingAt < 0.5, "the missing tick sits below every real value, not mid-axis");
        Assert.Equal(missingAt, numeric.Values[2]);
        Assert.Equal(missingAt, numeric.Range[0]);
        Assert.All(numeric.TickVals.Skip(1), t => Assert.InRange(t, 0.5, 0.8 + 1e-9));
        Assert.Equal(0.8, numeric.Range[1], 9); // a round end, not the largest value
        Assert.Contains("0.5", numeric.TickText);

        var metric = dims[3];
        Assert.True(metric.IsMetric);
        Assert.Null(metric.TickVals); // nothing missing: plotly's own round ticks
        Assert.Equal([0.3, 0.2, 0.25], metric.Values);
        Assert.Equal([0.2, 0.3], metric.Range.Select(r => Math.Round(r, 9)));
    }

    [Fact]
    public void NiceTicksAreRound()
    {
        Assert.Equal([0.5, 0.6, 0.7], ParallelPlot.NiceTicks(0.5, 0.75).Select(t => Math.Round(t, 6)));
        Assert.Equal([50.0, 60, 70], ParallelPlot.NiceTicks(40.8573, 72.1)); // never the unrounded 40.8573
    }
}

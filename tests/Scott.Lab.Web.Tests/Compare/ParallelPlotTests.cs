using Scott.Lab.Runs;
using Scott.Lab.Runs.Comparison;
using Scott.Lab.Web.Features.Compare;

namespace Scott.Lab.Web.Tests.Compare;

public sealed class ParallelPlotTests
{
    [Fact]
    public void LabelsAreTheLastPartOfTheKeyAndStayDistinct()
    {
        Assert.Equal(["mask_ratio", "train_count", "model.width", "probe.width"],
            ParallelPlot.Labels(["objective.options.mask_ratio", "dataset.options.train_count", "model.width", "probe.width"]));
        Assert.Equal("a_very_long_hyper…", ParallelPlot.Labels(["x.a_very_long_hyperparameter_name"])[0]);
    }

    [Fact]
    public void CategoriesAreTicksNumbersGetRoundEndsAndAMissingValueIsAGap()
    {
        var parallel = new ParallelCoordinates(
        [
            new ParallelAxis("objective.id", [0, 1, null], ["mae", "mim-jepa"], IsMetric: false),
            new ParallelAxis("objective.options.mask_ratio", [0.5, 0.75, null], null, IsMetric: false),
            new ParallelAxis("loss", [0.3, 0.2, 0.25], null, IsMetric: true),
        ]);

        var dims = ParallelPlot.Dimensions(parallel);

        Assert.Equal(["id", "mask_ratio", "loss"], dims.Select(d => d.Label));

        var category = dims[0];
        Assert.Equal(["mae", "mim-jepa"], category.TickText);
        Assert.Equal([0.0, 1], category.TickPositions);
        Assert.Equal([0.0, 1, null], category.Positions); // the third run has no objective.id: no point, a gap
        Assert.Equal(["mae", "mim-jepa", "missing"], category.ValueText);

        var numeric = dims[1];
        Assert.Equal("objective.options.mask_ratio", numeric.Key);
        Assert.Equal(["0.5", "0.6", "0.7", "0.8"], numeric.TickText); // a round top end, not the largest value 0.75
        Assert.Equal(0, numeric.TickPositions[0], 9);
        Assert.Equal(1, numeric.TickPositions[^1], 9);
        Assert.Equal(0, numeric.Positions[0]!.Value, 9);
        Assert.Equal(0.25 / 0.3, numeric.Positions[1]!.Value, 9);
        Assert.Null(numeric.Positions[2]); // never drawn mid-axis as if it were a value
        Assert.Equal("missing", numeric.ValueText[2]);

        var metric = dims[2];
        Assert.True(metric.IsMetric);
        Assert.Equal(["0.2", "0.25", "0.3"], metric.TickText);
        Assert.Equal([1.0, 0, 0.5], metric.Positions.Select(p => Math.Round(p!.Value, 9)));
    }

    [Fact]
    public void AnIntegerAxisHasOnlyIntegerTicks()
    {
        var dims = ParallelPlot.Dimensions(new ParallelCoordinates([new ParallelAxis("model.depth", [1, 2, 2], null, IsMetric: false)]));
        Assert.Equal(["1", "2"], dims[0].TickText);
        Assert.Equal([0.0, 1, 1], dims[0].Positions.Select(p => p!.Value));
    }

    [Fact]
    public void AnAxisWithoutAnyValueHasNoTicksAndOnlyGaps()
    {
        var dims = ParallelPlot.Dimensions(new ParallelCoordinates([new ParallelAxis("linear top-1", [null, null], null, IsMetric: true)]));
        Assert.Empty(dims[0].TickText);
        Assert.All(dims[0].Positions, p => Assert.Null(p));
    }

    [Fact]
    public void LongLabelsWrapOntoTwoLinesAtADotOrUnderscore()
    {
        Assert.Equal("mask_ratio", ParallelPlot.Wrap("mask_ratio", 14));
        Assert.Equal("predictor_<br>depth", ParallelPlot.Wrap("predictor_depth", 14));
        Assert.Equal("model.hidden_<br>channels", ParallelPlot.Wrap("model.hidden_channels", 16)); // the last break that fits
    }

    [Fact]
    public void NiceTicksAreRound()
    {
        Assert.Equal([0.5, 0.6, 0.7], ParallelPlot.NiceTicks(0.5, 0.75).Select(t => Math.Round(t, 6)));
        Assert.Equal([50.0, 60, 70], ParallelPlot.NiceTicks(40.8573, 72.1)); // never the unrounded 40.8573
    }
}

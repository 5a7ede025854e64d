using Scott.Lab.Runs.Comparison;

namespace Scott.Lab.Runs.Tests.Comparison;

public sealed class ComparisonBuilderTests
{
    internal static RunData Run(string id, string spec, double finalLoss, params (string Protocol, double Top1)[] evals) => new()
    {
        Run = new RunRecord
        {
            Id = id, Name = "run-" + id, Spec = Scott.Lab.Engine.Config.ConfigLoader.ParseTree(spec, "test spec"), TotalSteps = 100, Device = "cpu",
            Plugins = [new PluginRef { Kind = "tokenizer", Id = "scott", Version = "1.0.0", Sha256 = new string('a', 64) }],
        },
        Evaluations = evals.Select(e => new EvaluationRecord { RunId = id, Protocol = e.Protocol, Top1 = e.Top1, Top5 = 0.99, MeanPerClass = e.Top1 - 0.01 }).ToList(),
        Series =
        [
            new MetricSeries { Name = "loss", Steps = [0, 50, 99], Values = [2.0, 1.0, finalLoss], Wall = [1, 5, 10], RawCount = 3 },
            new MetricSeries { Name = "lr", Steps = [0, 99], Values = [0.001, 0.0001], Wall = [double.NaN, double.NaN], RawCount = 2 },
        ],
    };

    private const string SpecA = "model:\n  width: 32\n  depth: 2\noptimizer:\n  lr: 0.001\n  weight_decay: [0.04, 0.4]\ntrainer:\n  epochs: 4\n  steps: null\n";
    private const string SpecB = "model:\n  width: 64\n  depth: 2\noptimizer:\n  lr: 1.0e-3\n  weight_decay: [0.04, 0.4]\ntrainer:\n  epochs: 4\n  steps: null\n  seed: 1\n";

    [Fact]
    public void DiffOnlyKeepsExactlyTheKeysWhoseValuesDiffer()
    {
        var comparison = ComparisonBuilder.Build([Run("a", SpecA, 0.5), Run("b", SpecB, 0.4)], new CompareView());
        // 0.001 and 1.0e-3 are the same learning rate; a key missing in one run differs.
        Assert.Equal(["model.width", "trainer.seed"], comparison.VisibleDiff.Select(r => r.Key));
        Assert.Equal(new string?[] { "32", "64" }, comparison.VisibleDiff.First().Values.AsEnumerable());
        var all = ComparisonBuilder.Build([Run("a", SpecA, 0.5), Run("b", SpecB, 0.4)], new CompareView { DiffOnly = false });
        Assert.Contains(all.VisibleDiff, r => r.Key == "optimizer.weight_decay" && r.Values[0] == "[0.04, 0.4]");
        Assert.Contains(all.VisibleDiff, r => r is { Section: "plugins", Key: "tokenizer" } && r.Values[0] == "scott 1.0.0 (aaaaaaaaaaaa)");
        Assert.Contains(all.VisibleDiff, r => r is { Section: "environment", Key: "device" });
    }

    [Fact]
    public void TheBestEvaluationOfEachRowIsMarkedAndTiesAreAllMarked()
    {
        var comparison = ComparisonBuilder.Build(
            [Run("a", SpecA, 0.5, ("linear", 0.80), ("knn", 0.70)), Run("b", SpecB, 0.4, ("linear", 0.85)), Run("c", SpecA, 0.6, ("linear", 0.85), ("knn", 0.60))],
            new CompareView());
        var linearTop1 = comparison.Evaluations.Single(r => r.Protocol == "linear" && r.Measure == "top-1");
        Assert.Equal([false, true, true], linearTop1.Best);
        var knnTop1 = comparison.Evaluations.Single(r => r.Protocol == "knn" && r.Measure == "top-1");
        Assert.Equal([0.70, null, 0.60], knnTop1.Values);
        Assert.Equal([true, false, false], knnTop1.Best);
        Assert.Equal(["linear", "knn"], comparison.Evaluations.Select(r => r.Protocol).Distinct()); // protocol order, not alphabetical
    }

    [Fact]
    public void CurvesFollowTheAxisSmoothingAndLogScaleOfTheView()
    {
        var runs = new[] { Run("a", SpecA, 0.5), Run("b", SpecB, 0.4) };
        var byStep = ComparisonBuilder.Build(runs, new CompareView());
        Assert.Equal(["loss"], byStep.View.Metrics); // the default metric
        Assert.Equal([0.0, 50, 99], byStep.Charts.Single().Curves[0].X);

        var byEpoch = ComparisonBuilder.Build(runs, new CompareView { X = XAxis.Epoch }); // 100 steps over 4 epochs
        Assert.Equal([0.0, 2, 3.96], byEpoch.Charts.Single().Curves[0].X);
        var byWall = ComparisonBuilder.Build(runs, new CompareView { X = XAxis.Wall, Metrics = ["loss", "lr"] });
        Assert.Equal([1.0, 5, 10], byWall.Charts[0].Curves[0].X);
        Assert.Contains(byWall.Notes, n => n.Contains("no wall_seconds"));

        var smoothed = ComparisonBuilder.Build(runs, new CompareView { Smoothing = 0.5 }).Charts.Single().Curves[0];
        Assert.Equal(2.0, smoothed.Y[0], 9); // debiased: starts at the first value
        Assert.Equal((0.5 * 2 * 0.5 + 0.5 * 1) / 0.75, smoothed.Y[1], 9);
        Assert.Equal([2.0, 1.0, 0.5], smoothed.RawY);
    }

    [Fact]
    public void ParallelCoordinatesNeedThreeRunsAndEndWithTheChosenMetric()
    {
        Assert.Null(ComparisonBuilder.Build([Run("a", SpecA, 0.5), Run("b", SpecB, 0.4)], new CompareView()).Parallel);
        var three = ComparisonBuilder.Build([Run("a", SpecA, 0.5, ("linear", 0.8)), Run("b", SpecB, 0.4, ("linear", 0.9)), Run("c", SpecA, 0.3)],
            new CompareView { ParallelMetric = "eval:linear" });
        var axes = three.Parallel!.Axes;
        Assert.Equal(["model.width", "trainer.seed", "linear top-1"], axes.Select(a => a.Name));
        Assert.Equal([32.0, 64, 32], axes[0].Values);
        Assert.Equal([0.8, 0.9, null], axes[^1].Values);
        Assert.Contains("eval:linear", three.ParallelMetricChoices);
    }

    [Fact]
    public void RunColoursAreStableAndDistinct()
    {
        var ids = Enumerable.Range(0, 10).Select(i => $"20261123-1800{i:D2}-ab{i}").ToList();
        var colors = RunColors.Assign(ids);
        Assert.Equal(10, colors.Values.Distinct().Count());
        Assert.Equal(RunColors.Palette[RunColors.PreferredIndex(ids[0])], colors[ids[0]]); // the first always gets its own
        Assert.Equal(colors[ids[3]], RunColors.Assign(ids)[ids[3]]);
    }
}

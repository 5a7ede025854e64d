using System.Text.Json.Nodes;
using Scott.Lab.Runs.Table;

namespace Scott.Lab.Runs.Tests.Table;

/// <summary>Rows built in memory (no store): the columns, the filter language, grouping, sorting and the view's URL.</summary>
public sealed class RunsTableTests
{
    private static readonly DateTime Now = new(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc);

    private static RunRow Row(string name, string objective, int width, double? linear = null, double[]? loss = null, string[]? tags = null,
        RunStatus status = RunStatus.Completed, string dataset = "fashion-mnist")
    {
        var run = new RunRecord
        {
            Id = "id-" + name, Name = name, Status = status, Dataset = dataset, Tokenizer = "scott", Objective = objective, Tags = [.. tags ?? []],
            CreatedUtc = Now.AddHours(-3),
            History =
            [
                new StatusChange { Status = RunStatus.Queued, AtUtc = Now.AddHours(-3) },
                new StatusChange { Status = RunStatus.Running, AtUtc = Now.AddHours(-2) },
                .. status == RunStatus.Running ? Array.Empty<StatusChange>() : [new StatusChange { Status = status, AtUtc = Now.AddHours(-2).AddMinutes(62).AddSeconds(5) }],
            ],
            Spec = new JsonObject
            {
                ["objective"] = new JsonObject { ["id"] = objective, ["options"] = new JsonObject { ["mask_ratio"] = 0.6 } },
                ["model"] = new JsonObject { ["width"] = width },
            },
        };
        var summary = new RunMetricSummary { Id = run.Id };
        if (loss is not null)
        {
            var series = new MetricSummary { Name = "loss" };
            for (int i = 0; i < loss.Length; i++) series.Add(i * 10, loss[i]);
            summary.Series.Add(series);
        }
        List<EvaluationRecord> evaluations = linear is { } top1
            ? [new EvaluationRecord { RunId = run.Id, Protocol = "linear", Top1 = top1 - 0.2, Top5 = 0.9, CreatedUtc = Now.AddMinutes(-5) },
               new EvaluationRecord { RunId = run.Id, Protocol = "linear", Top1 = top1, Top5 = 0.95, CreatedUtc = Now.AddMinutes(-1) },
               new EvaluationRecord { RunId = run.Id, Protocol = "linear", LabelsPerClass = 10, Top1 = 0.3, CreatedUtc = Now }]
            : [];
        return new RunRow(run, summary, evaluations, Now);
    }

    private static readonly RunRow[] Rows =
    [
        Row("jepa-wide", "mim-jepa", 192, linear: 0.85, loss: [2.0, 0.9, 1.1], tags: ["sweep-a", "best"]),
        Row("jepa-narrow", "mim-jepa", 64, linear: 0.71, loss: [2.0, 1.4, 1.2], tags: ["sweep-a"]),
        Row("mae-wide", "mae", 192, loss: [1.0, 0.5], dataset: "cifar10"),
        Row("live", "mae", 96, status: RunStatus.Running),
    ];

    private static string[] Names(IEnumerable<RunRow> rows) => rows.Select(r => r.Run.Name).ToArray();
    private static string[] Filter(string expression) => Names(RunsTable.Build(Rows, new RunsView { Filter = expression, Sort = "name", Descending = false }).Rows);

    [Fact]
    public void ConfigMetricAndEvaluationColumnsHaveTheirValues()
    {
        var wide = Rows[0];
        Assert.Equal("192", Assert.Single(wide.Values("model.width")).Text);
        Assert.Equal(192, wide.Values("model.width")[0].Number);
        Assert.Equal("mim-jepa", Assert.Single(wide.Values("objective.id")).Text);
        Assert.Equal(1.1, Assert.Single(wide.Values("metric.loss.last")).Number);
        Assert.Equal(0.9, Assert.Single(wide.Values("metric.loss.best")).Number); // loss: lower is better
        Assert.Equal(1.1, Assert.Single(wide.Values("loss")).Number); // no reported last loss: the last loss row
        Assert.Equal(2.0, Assert.Single(wide.Values("metric.loss.max")).Number);
        Assert.Equal(0.85, Assert.Single(wide.Values("eval.linear.top1")).Number); // the latest of two, all labels
        Assert.Equal(0.95, Assert.Single(wide.Values("eval.linear.top5")).Number);
        Assert.Equal(0.3, Assert.Single(wide.Values("eval.linear@10.top1")).Number);
        Assert.Equal(["sweep-a", "best"], wide.Values("tag").Select(c => c.Text));
        Assert.Equal("1h 02m", Assert.Single(wide.Values("duration")).Text);
        Assert.Equal(3725, wide.Values("duration")[0].Number);
        Assert.Equal(TimeSpan.FromHours(2), Rows[3].Duration); // running: up to now

        // Missing values are no values, not zeros or empty strings.
        Assert.Empty(Rows[2].Values("eval.linear.top1"));
        Assert.Empty(Rows[3].Values("metric.loss.last"));
        Assert.Empty(wide.Values("model.depth"));
        Assert.Empty(wide.Values("metric.loss.median"));
    }

    [Fact]
    public void TheColumnPickerOffersEveryConfigKeyMetricAndEvaluationTheRunsHave()
    {
        var keys = RunColumns.Available(Rows).Select(c => c.Key).ToList();
        Assert.Contains("model.width", keys);
        Assert.Contains("objective.options.mask_ratio", keys);
        Assert.Contains("metric.loss.last", keys);
        Assert.Contains("metric.loss.best", keys);
        Assert.Contains("eval.linear.top1", keys);
        Assert.Contains("eval.linear@10.top5", keys);
        Assert.Contains("duration", keys);
        Assert.DoesNotContain("eval.knn.top1", keys);
        Assert.Equal(keys.Count, keys.Distinct().Count());
        Assert.True(RunColumns.HigherIsBetter("acc/top1"));
        Assert.False(RunColumns.HigherIsBetter("loss"));
    }

    [Fact]
    public void TheExampleFilterKeepsTheRunsItDescribes()
    {
        Assert.Equal(["jepa-wide"], Filter(RunFilter.Example)); // objective.id = mim-jepa and eval.linear.top1 > 0.8
        Assert.Equal(["jepa-narrow", "jepa-wide"], Filter("objective.id = MIM-JEPA")); // text ignores case
        Assert.Equal(["jepa-wide", "mae-wide"], Filter("model.width >= 192"));
        Assert.Equal(["jepa-narrow", "live"], Filter("model.width < 100"));        // numbers as numbers (96 < 100 though "96" > "100")
        Assert.Equal(["jepa-narrow", "jepa-wide", "mae-wide"], Filter("not status = running"));
        Assert.Equal(["jepa-wide", "mae-wide"], Filter("name ~ wide"));
        Assert.Equal(["jepa-narrow", "live"], Filter("name !~ wide"));
        Assert.Equal(["jepa-wide", "live"], Filter("(model.width = 192 and tag = best) or status = 'Running'"));
        Assert.Equal(["jepa-narrow", "jepa-wide", "mae-wide"], Filter("model.width = 192 or model.width = 64 and objective.id = mim-jepa")); // and binds tighter
        Assert.Equal(["jepa-wide"], Filter("tags = best"));
        Assert.Equal(["jepa-wide", "mae-wide"], Filter("metric.loss.best < 0.95"));
        Assert.Equal(["jepa-narrow", "jepa-wide", "live", "mae-wide"], Filter("  "));
        Assert.Equal(["mae-wide"], Filter("dataset = \"cifar10\""));
        Assert.Equal(["jepa-narrow", "jepa-wide", "live", "mae-wide"], Filter("objective.options.mask_ratio = 0.60")); // 0.6 and 0.60 are one number
    }

    [Fact]
    public void ARunWithoutTheColumnMatchesOnlyNotEqual()
    {
        Assert.Equal(["jepa-narrow", "jepa-wide"], Filter("eval.linear.top1 > 0"));
        Assert.Equal(["jepa-narrow", "jepa-wide"], Filter("eval.linear.top1 <= 1"));
        Assert.Equal(["jepa-narrow", "live", "mae-wide"], Filter("eval.linear.top1 != 0.85"));
        Assert.Equal(["live", "mae-wide"], Filter("not eval.linear.top1 > 0"));
        Assert.Equal(["jepa-narrow", "live", "mae-wide"], Filter("tag != best")); // tags: none of them is 'best'
    }

    [Theory]
    [InlineData("eval.lin.top1 > 0.8", "unknown column 'eval.lin.top1' at 1:1 (did you mean 'eval.linear.top1'?)")]
    [InlineData("objective.id = mim-jepa and modle.width > 3", "unknown column 'modle.width' at 1:29 (did you mean 'model.width'?)")]
    [InlineData("model.width >", "unexpected end of input, expected value")]
    [InlineData("model.width 192", "expected operator")]
    [InlineData("(model.width = 192", "expected `)`")]
    [InlineData("model.width = 192 model.depth = 2", "at 1:19")]
    [InlineData("model.width = \"192", "at 1:15")]
    [InlineData("and = 1", "at 1:1")]
    [InlineData("model.width = 192 and", "unexpected end of input")]
    public void ABadFilterSaysWhereAndWhatWasExpected(string expression, string expected)
    {
        var table = RunsTable.Build(Rows, new RunsView { Filter = expression });
        Assert.NotNull(table.FilterError);
        Assert.StartsWith("filter: ", table.FilterError);
        Assert.Contains(expected, table.FilterError);
        Assert.Equal(Rows.Length, table.Rows.Count); // a bad filter filters nothing (and says why)
        Assert.Throws<RunFilterException>(() => RunFilter.Parse(expression, RunColumns.Available(Rows).Select(c => c.Key).ToHashSet()));
    }

    [Fact]
    public void AnUnknownColumnErrorNamesTheKindsOfColumns()
    {
        var error = Assert.Throws<RunFilterException>(() => RunFilter.Parse("zzz = 1", ["name", "model.width"])).Message;
        Assert.Contains("unknown column 'zzz' at 1:1;", error);
        Assert.Contains("metric.<name>.<last|best|min|max>", error);
        Assert.Contains("eval.<protocol>.<top1|top5>", error);
    }

    [Fact]
    public void RowsGroupByObjectiveDatasetOrEachOfTheirTags()
    {
        var byObjective = RunsTable.Build(Rows, new RunsView { GroupBy = "objective", Sort = "name", Descending = false }).Groups;
        Assert.Equal(["mim-jepa", "mae"], byObjective.Select(g => g.Value)); // in order of their first row
        Assert.Equal(["jepa-narrow", "jepa-wide"], Names(byObjective[0].Rows));

        var byTag = RunsTable.Build(Rows, new RunsView { GroupBy = "tag", Sort = "name", Descending = false }).Groups;
        Assert.Equal(["sweep-a", "best", RunsTable.NoValue], byTag.Select(g => g.Value)); // runs without a tag last
        Assert.Equal(["jepa-narrow", "jepa-wide"], Names(byTag[0].Rows));
        Assert.Equal(["jepa-wide"], Names(byTag[1].Rows));
        Assert.Equal(["live", "mae-wide"], Names(byTag[2].Rows));

        var byConfig = RunsTable.Build(Rows, new RunsView { GroupBy = "model.width", Filter = "objective.id = mae" }).Groups;
        Assert.Equal(2, byConfig.Count);
        Assert.Single(RunsTable.Build(Rows, new RunsView()).Groups); // no grouping: one group of every row
    }

    [Fact]
    public void RowsGroupBySweepAndSingleRunsComeLast()
    {
        RunRow[] rows = [Row("trial-1", "mim-jepa", 64), Row("trial-2", "mim-jepa", 128), Row("single", "mae", 64)];
        rows[0].Run.SweepId = rows[1].Run.SweepId = "sweep-1";
        var bySweep = RunsTable.Build(rows, new RunsView { GroupBy = "sweep", Sort = "name", Descending = false }).Groups;
        Assert.Equal(["sweep-1", RunsTable.NoValue], bySweep.Select(g => g.Value)); // runs of no sweep last
        Assert.Equal(["trial-1", "trial-2"], Names(bySweep[0].Rows));
        Assert.Equal(["trial-1"], Names(RunsTable.Build(rows, new RunsView { Filter = "sweep = sweep-1 and model.width < 100" }).Rows));
    }

    [Fact]
    public void SortingByAnAddedColumnPutsRunsWithoutAValueLast()
    {
        Assert.Equal(["jepa-wide", "jepa-narrow", "mae-wide", "live"], Names(RunsTable.Sort(Rows, "eval.linear.top1", descending: true)));
        Assert.Equal(["jepa-narrow", "jepa-wide", "mae-wide", "live"], Names(RunsTable.Sort(Rows, "eval.linear.top1", descending: false)));
        Assert.Equal(["mae-wide", "jepa-wide", "jepa-narrow", "live"], Names(RunsTable.Sort(Rows, "metric.loss.last", descending: false)));
        Assert.Equal(["jepa-narrow", "jepa-wide", "mae-wide", "live"], Names(RunsTable.Sort(Rows, "metric.loss.last", descending: true)));
        Assert.Equal(["jepa-narrow", "live", "jepa-wide", "mae-wide"], Names(RunsTable.Sort(Rows, "model.width", descending: false))); // 96 before 192
    }

    [Fact]
    public void TheViewSurvivesItsUrl()
    {
        var view = new RunsView
        {
            Search = "jepa run", Status = RunStatus.Completed, Tag = "sweep-a", Columns = ["model.width", "metric.loss.best", "eval.linear@10.top1"],
            GroupBy = "objective", Filter = "objective.id = mim-jepa and eval.linear.top1 > 0.8 or name ~ 'a&b+c'", Sort = "model.width", Descending = false,
        };
        string query = view.ToQuery();
        Assert.Contains("cols=model.width,metric.loss.best,eval.linear%4010.top1", query);
        Assert.DoesNotContain(" ", query);
        var back = RunsView.Parse("?" + query);
        Assert.Equal(view.Search, back.Search);
        Assert.Equal(view.Status, back.Status);
        Assert.Equal(view.Tag, back.Tag);
        Assert.Equal(view.Columns, back.Columns);
        Assert.Equal(view.GroupBy, back.GroupBy);
        Assert.Equal(view.Filter, back.Filter);
        Assert.Equal((view.Sort, view.Descending), (back.Sort, back.Descending));
        Assert.Empty(back.Problems);
        Assert.Equal(query, back.ToQuery());

        Assert.Equal("", new RunsView().ToQuery()); // defaults are left out
        Assert.Equal(("created", true), (RunsView.Parse("").Sort, RunsView.Parse("").Descending));
        Assert.Equal("tags", RunsView.Parse("group=tag").GroupBy);
        Assert.Equal(("name", true), (RunsView.Parse("sort=-name").Sort, RunsView.Parse("sort=-name").Descending));
        Assert.Equal(RunStatus.Running, RunsView.Parse("status=running").Status);
    }

    [Fact]
    public void ABadValueInTheUrlIsDroppedAndSaid()
    {
        var view = RunsView.Parse("status=sleeping&cols=" + string.Join(',', Enumerable.Range(0, 40).Select(i => $"k{i}")));
        Assert.Null(view.Status);
        Assert.Equal(RunsView.MaxColumns, view.Columns.Count);
        Assert.Contains(view.Problems, p => p.StartsWith("status: 'sleeping' is not a status"));
        Assert.Contains(view.Problems, p => p.StartsWith("cols: 40 columns given"));
    }

    [Fact]
    public void TheSparklineSpansItsBoxAndEndsAtTheLastValue()
    {
        var summary = new RunMetricSummary { Spark = [new SparkPoint { Step = 0, Value = 2 }, new SparkPoint { Step = 10, Value = 1 }] };
        summary.Series.Add(new MetricSummary { Name = "loss" });
        summary.Series[0].Add(0, 2);
        summary.Series[0].Add(10, 1);
        summary.Series[0].Add(20, 0);
        Assert.Equal("0,0 50,10 100,20", Sparkline.Points(summary, 100, 20));
        Assert.Equal("", Sparkline.Points(new RunMetricSummary(), 100, 20));
        Assert.Equal("0,10 100,10", Sparkline.Points([(0L, 1.0), (5L, 1.0)], 100, 20)); // flat: the middle
    }
}

using Scott.Lab.Runs.Table;

namespace Scott.Lab.Runs.Tests.Table;

public sealed class RunMetricSummariesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("scott-lab-table-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static IEnumerable<(long, IReadOnlyDictionary<string, double>)> Rows(long from, long to, Func<long, double> loss) =>
        Enumerable.Range((int)from, (int)(to - from)).Select(s => ((long)s, (IReadOnlyDictionary<string, double>)new Dictionary<string, double>
        {
            ["loss"] = loss(s), ["acc"] = s / 100.0,
        }));

    [Fact]
    public void ATrainingRunsSummaryGrowsWithItsRowsAndAFinishedOneIsNotReadAgain()
    {
        using var store = new RunStore(_dir);
        var run = store.Create(new RunRecord { Name = "live", Status = RunStatus.Queued });
        store.SetStatus(run.Id, RunStatus.Running);
        store.AppendMetricRows(run.Id, Rows(0, 50, s => 5 - s * 0.01));
        var summaries = new RunMetricSummaries(store);

        var first = summaries.For(store.Get(run.Id)!);
        var loss = first.Series.Single(s => s.Name == "loss");
        Assert.Equal((50, 49L, 5.0), (loss.Count, loss.LastStep, loss.Max));
        Assert.Equal(49, first.ThroughStep);

        // New rows: only they are read, and the summary moves on.
        store.AppendMetricRows(run.Id, Rows(50, 60, s => s == 55 ? 0.1 : 4));
        var second = summaries.For(store.Get(run.Id)!);
        loss = second.Series.Single(s => s.Name == "loss");
        Assert.Equal((60, 59L, 4.0, 0.1), (loss.Count, loss.LastStep, loss.Last, loss.Min));
        Assert.Equal(0.59, second.Series.Single(s => s.Name == "acc").Max);

        // Finished and unchanged: the stored summary is used as it is (a row slipped in afterwards is not read)...
        store.Update(run.Id, r => { r.Status = RunStatus.Completed; r.Step = 60; });
        Assert.Equal(60, summaries.For(store.Get(run.Id)!).Series.Single(s => s.Name == "loss").Count);
        store.AppendMetricRows(run.Id, Rows(60, 61, _ => 3));
        Assert.Equal(60, new RunMetricSummaries(store).For(store.Get(run.Id)!).Series.Single(s => s.Name == "loss").Count);
        // ...until the run changes.
        store.Update(run.Id, r => r.Step = 61);
        Assert.Equal(61, summaries.For(store.Get(run.Id)!).Series.Single(s => s.Name == "loss").Count);
    }

    [Fact]
    public void AResumedRunIsSummedUpAgainFromItsRows()
    {
        using var store = new RunStore(_dir);
        var run = store.Create(new RunRecord { Name = "resumed", Status = RunStatus.Queued });
        store.SetStatus(run.Id, RunStatus.Running);
        store.AppendMetricRows(run.Id, Rows(0, 30, _ => 9));
        store.SetStatus(run.Id, RunStatus.Interrupted);
        var summaries = new RunMetricSummaries(store);
        Assert.Equal(9, summaries.For(store.Get(run.Id)!).Series.Single(s => s.Name == "loss").Max);

        // A resume truncates from its checkpoint and logs those steps again, lower.
        store.SetStatus(run.Id, RunStatus.Running);
        store.TruncateMetricsFrom(run.Id, 10);
        store.AppendMetricRows(run.Id, Rows(10, 30, _ => 1));
        var loss = summaries.For(store.Get(run.Id)!).Series.Single(s => s.Name == "loss");
        Assert.Equal((30, 1.0, 9.0), (loss.Count, loss.Last, loss.Max));
    }

    [Fact]
    public void TheSparklineOfTwentyThousandRowsStaysSmallAndSpansTheRun()
    {
        using var store = new RunStore(_dir);
        var run = store.Create(new RunRecord { Name = "long", Status = RunStatus.Completed, Step = 20_000 });
        store.AppendMetricRows(run.Id, Rows(0, 20_000, s => 2.0 / (1 + s / 500.0)));
        var summary = new RunMetricSummaries(store).For([store.Get(run.Id)!])[run.Id];
        Assert.InRange(summary.Spark.Count, RunMetricSummaries.SparkPoints, 2 * RunMetricSummaries.SparkPoints);
        Assert.Equal(0, summary.Spark[0].Step);
        Assert.True(summary.Spark[^1].Step > 19_000, $"the sparkline stops at step {summary.Spark[^1].Step}");
        Assert.True(summary.Spark.Zip(summary.Spark.Skip(1)).All(p => p.First.Value > p.Second.Value)); // the falling loss, in order
        Assert.Equal(20_000, summary.Series.Single(s => s.Name == "loss").Count);

        // Deleting the run deletes its summary.
        store.Delete(run.Id);
        Assert.Empty(store.Database.GetCollection(RunMetricSummaries.CollectionName).FindAll());
    }

    [Fact]
    public void TheTableLoadsRunsWithTheirSummariesAndEvaluations()
    {
        using var store = new RunStore(_dir);
        var run = store.Create(new RunRecord
        {
            Name = "done", Status = RunStatus.Completed, Step = 20,
            Spec = new System.Text.Json.Nodes.JsonObject { ["model"] = new System.Text.Json.Nodes.JsonObject { ["width"] = 64 } },
        });
        store.AppendMetricRows(run.Id, Rows(0, 20, s => 20 - s));
        store.AddEvaluation(new EvaluationRecord { RunId = run.Id, Protocol = "knn", Top1 = 0.42 });
        store.Create(new RunRecord { Name = "other", Status = RunStatus.Queued });

        var table = RunsTable.Load(store, new RunsView { Filter = "metric.loss.best < 2 and eval.knn.top1 >= 0.42 and model.width = 64" });
        Assert.Null(table.FilterError);
        Assert.Equal("done", Assert.Single(table.Rows).Run.Name);
        Assert.Equal(2, table.AllRows.Count);

        // The search leaves out the only run with these columns: they are still columns (no rows), a typo is not.
        var searched = RunsTable.Load(store, new RunsView { Search = "other", Filter = "eval.knn.top1 > 0.4 or metric.loss.best < 1 or model.width = 64" });
        Assert.Null(searched.FilterError);
        Assert.Empty(searched.Rows);
        Assert.Single(searched.AllRows);
        Assert.Contains("unknown column 'eval.knn.top2'", RunsTable.Load(store, new RunsView { Search = "other", Filter = "eval.knn.top2 > 0.4" }).FilterError);
    }
}

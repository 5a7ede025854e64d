using Scott.Lab.Runs.Comparison;

namespace Scott.Lab.Runs.Tests.Comparison;

public sealed class MetricDigestsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("scott-lab-digests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Dictionary<string, double> Loss(double value) => new() { ["loss"] = value };

    [Fact]
    public void AFinishedRunIsReadOnceUntilItIsResumed()
    {
        using var store = new RunStore(_dir);
        var run = store.Create(new RunRecord { Name = "done", Status = RunStatus.Running });
        store.AppendMetrics(run.Id, 0, Loss(2));
        store.AppendMetrics(run.Id, 1, Loss(1));
        var digests = new MetricDigests(store);

        // While it trains, every comparison reads its rows.
        Assert.Equal([2.0, 1], digests.For(store.Get(run.Id)!).Single().Values);
        store.AppendMetrics(run.Id, 2, Loss(0.5));
        Assert.Equal([2.0, 1, 0.5], digests.For(store.Get(run.Id)!).Single().Values);

        store.SetStatus(run.Id, RunStatus.Completed);
        Assert.Equal([2.0, 1, 0.5], digests.For(store.Get(run.Id)!).Single().Values);
        // A row written behind the run's back is not seen: the digest answers, not the rows.
        store.AppendMetrics(run.Id, 3, Loss(0.25));
        store.Update(run.Id, r => r.Notes = "edited notes do not invalidate the digest");
        Assert.Equal(3, digests.For(store.Get(run.Id)!).Single().Values.Length);

        // Resumed and finished again: its history grew, so its rows are read again.
        store.SetStatus(run.Id, RunStatus.Running, "resumed");
        store.SetStatus(run.Id, RunStatus.Completed);
        Assert.Equal([2.0, 1, 0.5, 0.25], digests.For(store.Get(run.Id)!).Single().Values);

        Assert.True(store.Delete(run.Id));
        Assert.Equal(0, digests.Forget(run.Id)); // deleting the run took its digests with it
    }
}

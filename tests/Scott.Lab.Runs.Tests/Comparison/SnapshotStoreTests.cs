using Scott.Lab.Runs.Comparison;
using Scott.Lab.Runs.Snapshots;

namespace Scott.Lab.Runs.Tests.Comparison;

public sealed class SnapshotStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("scott-lab-snapshots-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void TokensAre128RandomBitsInBase64Url()
    {
        var tokens = Enumerable.Range(0, 200).Select(_ => SnapshotStore.NewToken()).ToList();
        Assert.All(tokens, t => Assert.True(SnapshotStore.IsToken(t), t));
        Assert.Equal(200, tokens.Distinct().Count());
        Assert.Equal(16, Convert.FromBase64String(tokens[0].Replace('-', '+').Replace('_', '/') + "==").Length);
        Assert.False(SnapshotStore.IsToken("../../etc/passwd"));
    }

    [Fact]
    public void ASnapshotKeepsItsRunsAfterTheyAreDeletedAndIsGoneWhenRevoked()
    {
        using var store = new RunStore(_dir);
        var run = store.Create(new RunRecord { Name = "frozen", Spec = new System.Text.Json.Nodes.JsonObject { ["model"] = new System.Text.Json.Nodes.JsonObject { ["width"] = 32 } }, Status = RunStatus.Completed });
        store.AppendMetricRows(run.Id, Enumerable.Range(0, 1200).Select(step =>
            ((long)step, (IReadOnlyDictionary<string, double>)new Dictionary<string, double> { ["loss"] = 1.0 / (step + 1), ["wall_seconds"] = step * 0.1 })));
        store.AddEvaluation(new EvaluationRecord { RunId = run.Id, Protocol = "linear", Top1 = 0.8 });
        var snapshots = new SnapshotStore(store);
        var (runs, missing) = ComparisonLoader.Load(store, [run.Id]);
        Assert.Empty(missing);
        Assert.Equal(ComparisonLoader.MaxPoints, runs[0].Series.Single(s => s.Name == "loss").Values.Length);

        byte[] png = [0x89, 0x50, 0x4E, 0x47, 1, 2, 3];
        var snapshot = snapshots.Create("", new CompareView { Runs = [run.Id], Images = ["test-1"] }, runs,
            [new FrozenMap(run.Id, "test-1", "pca", png)], ["a note"]);
        store.Delete(run.Id);
        Assert.Null(store.Get(run.Id));

        var again = snapshots.Get(snapshot.Id)!;
        Assert.Equal("Comparison of 1 runs", again.Title);
        Assert.Equal($"runs={run.Id}&images=test-1", again.Query);
        var frozen = snapshots.Load(again).Single();
        Assert.Equal("frozen", frozen.Run.Name);
        Assert.Equal(0.8, frozen.Evaluations.Single().Top1);
        var loss = frozen.Series.Single(s => s.Name == "loss");
        Assert.Equal(1200, loss.RawCount);
        Assert.Equal(1199, loss.Steps[^1]);
        Assert.Equal(119.9, loss.Wall[^1], 9);
        Assert.Equal(png, snapshots.MapPng(again, run.Id, "pca", "test-1"));
        Assert.Null(snapshots.MapPng(again, run.Id, "attention", "test-1"));

        Assert.Single(snapshots.List());
        Assert.True(snapshots.Revoke(snapshot.Id));
        Assert.Null(snapshots.Get(snapshot.Id));
        Assert.False(snapshots.Revoke(snapshot.Id));
        Assert.Empty(snapshots.List());
    }

    [Fact]
    public void TokensMatchCaseSensitively()
    {
        // LiteDB's default collation ignores case: the same token with its letters' case changed must not open or
        // revoke the snapshot (that would leave about 111 bits of the token's 128).
        using var store = new RunStore(_dir);
        var run = store.Create(new RunRecord { Name = "shared", Status = RunStatus.Completed });
        store.AppendMetrics(run.Id, 1, new Dictionary<string, double> { ["loss"] = 1 });
        var snapshots = new SnapshotStore(store);
        var (runs, _) = ComparisonLoader.Load(store, [run.Id]);
        var snapshot = snapshots.Create("t", new CompareView { Runs = [run.Id] }, runs, [new FrozenMap(run.Id, "test-1", "pca", [1, 2, 3])], []);
        string token = snapshot.Id;
        Assert.Contains(token, char.IsAsciiLetter); // base64url of 16 random bytes: a letter is all but certain
        string swapped = new(token.Select(c => char.IsAsciiLetterUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c)).ToArray());

        Assert.True(SnapshotStore.IsToken(swapped));
        Assert.Null(snapshots.Get(swapped));
        Assert.False(snapshots.Revoke(swapped));

        var kept = snapshots.Get(token)!;
        Assert.Equal("t", kept.Title);
        Assert.Single(snapshots.Load(kept).Single().Series);
        Assert.Equal([1, 2, 3], snapshots.MapPng(kept, run.Id, "pca", "test-1"));
        Assert.True(snapshots.Revoke(token));
        Assert.Null(snapshots.Get(token));
    }

    [Fact]
    public void MetricColumnsReadOnlyThisRunInStepOrder()
    {
        using var store = new RunStore(_dir);
        var a = store.Create(new RunRecord { Name = "a" });
        var b = store.Create(new RunRecord { Name = "b" });
        foreach (long step in new long[] { 1000, 9, 99 }) store.AppendMetrics(a.Id, step, new Dictionary<string, double> { ["loss"] = step });
        store.AppendMetrics(a.Id, 5, new Dictionary<string, double> { ["acc"] = 0.5 });
        store.AppendMetrics(b.Id, 7, new Dictionary<string, double> { ["loss"] = -1 });

        var columns = store.MetricColumns(a.Id);
        Assert.Equal([5L, 9, 99, 1000], columns.Steps);
        Assert.Equal([double.NaN, 9, 99, 1000], columns.Values["loss"]);
        Assert.Equal(0.5, columns.Values["acc"][0]);
    }
}

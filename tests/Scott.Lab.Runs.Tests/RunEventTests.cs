using Scott.Lab.Runs.Reporting;

namespace Scott.Lab.Runs.Tests;

/// <summary>The one applier of both reporting paths (<see cref="RunStore.ApplyEvents"/>) and the journal format.</summary>
public sealed class RunEventTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("scott-lab-events-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static RunEvent Row(long seq, long step) =>
        new() { Seq = seq, Kind = RunEventKind.Metrics, Step = step, Values = new() { ["loss"] = 10 - step } };

    [Fact]
    public void AResumedWorkersJournalReplayedInFullGivesAContinuousHistoryWithoutDuplicates()
    {
        using var store = new RunStore(_dir);
        string id = store.Create(new RunRecord { Name = "requeued" }).Id;
        // First attempt: rows 1, 3, 5, a checkpoint after step 4; then killed. The requeued job resumes from step 4.
        var journal = new List<RunEvent>
        {
            new() { Seq = 1, Kind = RunEventKind.Running, Message = "started" },
            new() { Seq = 2, Kind = RunEventKind.Truncate, Step = 0 },
            Row(3, 1), Row(4, 3),
            new() { Seq = 5, Kind = RunEventKind.Artifact, Artifact = new ArtifactRecord { Kind = "checkpoint", Path = "/runs/x/checkpoints/step-00000004", Step = 4 } },
            Row(6, 5),
            new() { Seq = 7, Kind = RunEventKind.Running, Message = "resumed from step 4" },
            new() { Seq = 8, Kind = RunEventKind.Truncate, Step = 4 },
            Row(9, 5), Row(10, 7),
            new() { Seq = 11, Kind = RunEventKind.Finished, Status = RunStatus.Completed, Step = 8, LastLoss = 3, Message = "8 steps" },
        };

        Assert.Equal(6, store.ApplyEvents(id, journal[..6]));       // what reached the store before the kill
        Assert.Equal(11, store.ApplyEvents(id, journal));           // the whole journal, sent again by the next worker
        Assert.Equal(11, store.ApplyEvents(id, journal));           // and once more: nothing changes

        var run = store.Get(id)!;
        Assert.Equal([1L, 3L, 5L, 7L], store.Metrics(id).Select(m => m.Step));
        Assert.Equal(5, store.Metrics(id)[2].Values["loss"]);
        Assert.Equal((RunStatus.Completed, 8L, 3.0, 11L), (run.Status, run.Step, run.LastLoss, run.ReportedSequence));
        Assert.Single(run.History, h => h.Message == "started");
        Assert.Single(store.Artifacts(id));
        Assert.Null(store.ApplyEvents("20200101-000000-none", journal));
    }

    [Fact]
    public void RecordsAnEventNamesForAnotherRunAreFiledUnderTheRunItWasSentFor()
    {
        using var store = new RunStore(_dir);
        string a = store.Create(new RunRecord { Name = "a" }).Id, b = store.Create(new RunRecord { Name = "b" }).Id;
        store.AddEvaluation(new EvaluationRecord { Id = $"{b}:knn", RunId = b, Protocol = "knn", Top1 = 0.9 });

        store.ApplyEvents(a, [
            new RunEvent { Kind = RunEventKind.Evaluation, Evaluation = new EvaluationRecord { Id = $"{b}:knn", RunId = b, Protocol = "knn", Top1 = 0.1 } },
            new RunEvent { Kind = RunEventKind.Artifact, Artifact = new ArtifactRecord { RunId = b, Kind = "eval", Path = "/x/knn.json" } },
        ]);

        Assert.Equal(0.9, Assert.Single(store.Evaluations(b)).Top1);
        Assert.Empty(store.Artifacts(b));
        Assert.Equal(($"{a}:knn", 0.1), (Assert.Single(store.Evaluations(a)).Id, store.Evaluations(a)[0].Top1));
        Assert.Single(store.Artifacts(a));
    }

    [Theory]
    [InlineData(false, "12345", RunStatus.Running)]   // Slurm stopped the attempt (requeue, preemption): the next attempt resumes
    [InlineData(true, "12345", RunStatus.Cancelled)]  // someone cancelled it
    [InlineData(false, "99999", RunStatus.Cancelled)] // a worker of another job: its stop is not this job's requeue
    public void AStopOfASlurmRunIsACancelOnlyWhenSomeoneAskedForIt(bool stopRequested, string workersJob, RunStatus expected)
    {
        using var store = new RunStore(_dir);
        string id = store.Create(new RunRecord { Executor = "slurm", JobId = "12345", Status = RunStatus.Running, StopRequested = stopRequested }).Id;

        store.ApplyEvents(id, [new RunEvent { Seq = 1, Kind = RunEventKind.Finished, Status = RunStatus.Cancelled, Step = 6, LastLoss = 2, JobId = workersJob, Message = "stopped" }]);

        var run = store.Get(id)!;
        Assert.Equal(expected, run.Status);
        Assert.Equal((6L, 2.0), (run.Step, run.LastLoss)); // the progress is recorded either way
        if (expected == RunStatus.Running) Assert.Contains("the job's next attempt resumes it", run.History[^1].Message);
    }

    [Fact]
    public void AJournalWithATornLineReadsEveryCompleteEventAndSkipsTheTornOne()
    {
        string path = Path.Combine(_dir, ReportJournal.FileName);
        string Line(RunEvent e) => System.Text.Json.JsonSerializer.Serialize(e, RunEvent.Json) + "\n";
        File.WriteAllText(path, Line(Row(1, 1)) + "{\"seq\":2,\"kind\":\"Metr\n" + Line(Row(3, 3)) + Line(Row(4, 5)) + "{\"seq\":5,");

        Assert.Equal([1L, 3L, 4L], ReportJournal.ReadAll(path).Select(e => e.Seq));
        var (events, end) = ReportJournal.ReadBatch(path, 0, applied: 3);
        Assert.Equal([4L], events.Select(e => e.Seq));
        Assert.Equal(new FileInfo(path).Length - "{\"seq\":5,".Length, end); // the unfinished last line waits
    }
}

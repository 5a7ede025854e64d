using System.Runtime.CompilerServices;
using Scott.Lab.Engine.Config;
using Scott.Lab.Runs;

namespace Scott.Lab.Cli.Tests;

/// <summary>Keeps every CLI test away from the repository's data/ (train records runs in DATA/scott-lab.db).</summary>
internal static class TestDataDir
{
    [ModuleInitializer]
    internal static void Initialize()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ScottLab__DataDir")))
            Environment.SetEnvironmentVariable("ScottLab__DataDir", Path.Combine(Path.GetTempPath(), "scott-lab-tests", "cli-data-" + Environment.ProcessId));
    }
}

public sealed class WorkerCommandTests
{
    /// <summary>tiny.yaml cut down to a few steps: logs at steps 1, 3, 5 (0-based rows), checkpoints after 3 and 6.</summary>
    private static readonly string[] Short = ["trainer.steps=6", "trainer.batch_size=16", "trainer.log_every=2", "trainer.checkpoint_every=3"];

    private static string TinySpecYaml(params string[] more) =>
        ConfigLoader.ToYaml(ConfigLoader.LoadTree(CliRunner.Config("configs/ssl/tiny.yaml"), [.. Short, .. more]));

    private static (string DataDir, RunRecord Run) StoredRun(string specYaml)
    {
        string data = CliRunner.TempDir();
        using var store = new RunStore(data);
        var run = store.Create(new RunRecord { Name = "worker-test", Spec = ConfigLoader.ParseTree(specYaml, "test spec"), Source = "portal" });
        return (data, run);
    }

    [Fact]
    public void AnUnreadableStoreIsAnErrorNamingTheFileAndTheFixAndIsLeftAsItWas()
    {
        string data = CliRunner.TempDir();
        string file = Path.Combine(data, RunStore.FileName);
        File.WriteAllText(file, "not a database");

        var (exit, _, error) = CliRunner.Run("worker", "--run", "20261202-120000-deadbeef", "--data-dir", data);

        Assert.Equal(2, exit);
        Assert.Contains($"error: The run store {file} cannot be read", error);
        Assert.Contains("move it aside", error);
        Assert.DoesNotContain("   at ", error); // no stack trace
        Assert.Equal("not a database", File.ReadAllText(file));
    }

    [Fact]
    public void WorkerTrainsAStoredRunAndRecordsItsProgressInTheStore()
    {
        var (data, queued) = StoredRun(TinySpecYaml());

        var (exit, _, error) = CliRunner.Run("worker", "--run", queued.Id, "--data-dir", data);

        Assert.True(exit == 0, error);
        using var store = new RunStore(data);
        var run = store.Get(queued.Id)!;
        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal([RunStatus.Queued, RunStatus.Running, RunStatus.Completed], run.History.Select(h => h.Status).Distinct());
        Assert.Equal(6, run.Step);
        Assert.Equal(6, run.TotalSteps);
        Assert.NotNull(run.LastLoss);
        Assert.Null(run.WorkerPid);
        Assert.Equal("cpu", run.Device);
        Assert.Equal(["dataset", "objective", "tokenizer"], run.Plugins.Select(p => p.Kind).Order());
        Assert.All(run.Plugins, p => Assert.Matches("^[0-9a-f]{64}$", p.Sha256));
        Assert.True(run.Libraries.ContainsKey("torchsharp"));

        var metrics = store.Metrics(run.Id);
        Assert.Equal([2L, 4L, 6L], metrics.Select(m => m.Step)); // numbered by steps done, like checkpoints and "step N/M"
        Assert.All(metrics, m => Assert.True(m.Values.ContainsKey("loss") && m.Values.ContainsKey("lr")));
        Assert.Equal(3, File.ReadAllLines(Path.Combine(run.Directory, "metrics.jsonl")).Length); // the folder still has them too
        var checkpoints = store.Artifacts(run.Id).Where(a => a.Kind == "checkpoint").ToList();
        Assert.Equal([3L, 6L], checkpoints.Select(a => a.Step!.Value).Order());
        Assert.All(checkpoints, a => Assert.True(Directory.Exists(a.Path) && a.Bytes > 0));
        Assert.True(File.Exists(Path.Combine(run.Directory, "config.yaml")));
        Assert.Contains("worker", error); // progress and the start line go to stderr (the portal's worker.log)

        // The run page's header (LastLoss), its chart's last point (the last row) and the log's last line agree.
        Assert.Equal(metrics[^1].Values["loss"], run.LastLoss);
        string lastLine = error.Split('\n').Last(l => l.StartsWith("step ", StringComparison.Ordinal));
        Assert.StartsWith($"step 6/6 | loss {metrics[^1].Values["loss"].ToString("F4", System.Globalization.CultureInfo.InvariantCulture)} |", lastLine);
    }

    [Fact]
    public void WorkerResumesFromTheLatestCheckpointWithoutDuplicatingMetrics()
    {
        var (data, queued) = StoredRun(TinySpecYaml());
        Assert.Equal(0, CliRunner.Run("worker", "--run", queued.Id, "--data-dir", data).Exit);
        using (var store = new RunStore(data))
        {
            // As if it had been interrupted after the first checkpoint: drop the last one, ask for a resume.
            Directory.Delete(Path.Combine(queued.Directory, "checkpoints", "step-00000006"), recursive: true);
            store.Update(queued.Id, r => { r.Status = RunStatus.Queued; r.ResumeRequested = true; });
        }

        var (exit, _, error) = CliRunner.Run("worker", "--run", queued.Id, "--data-dir", data);

        Assert.True(exit == 0, error);
        Assert.Contains("resuming from step 3", error);
        using var after = new RunStore(data);
        var run = after.Get(queued.Id)!;
        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.False(run.ResumeRequested);
        Assert.Equal([2L, 4L, 6L], after.Metrics(run.Id).Select(m => m.Step));
        Assert.Contains(run.History, h => h.Message?.Contains("resumed from step 3") == true);
    }

    [Fact]
    public void WorkerWithABadSpecMarksTheRunFailedAndExitsWithTwo()
    {
        var (data, queued) = StoredRun(TinySpecYaml("objective.id=nope"));

        var (exit, _, error) = CliRunner.Run("worker", "--run", queued.Id, "--data-dir", data);

        Assert.Equal(2, exit);
        Assert.Contains("objective.id: unknown objective 'nope'", error);
        using var store = new RunStore(data);
        var run = store.Get(queued.Id)!;
        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Contains("objective.id: unknown objective 'nope'", run.Error);
    }

    [Fact]
    public void WorkerForAnUnknownRunNamesItAndTheStore()
    {
        string data = CliRunner.TempDir();
        var (exit, _, error) = CliRunner.Run("worker", "--run", "20200101-000000-abcd", "--data-dir", data);
        Assert.Equal(2, exit);
        Assert.Contains("no run '20200101-000000-abcd'", error);
        Assert.Contains(Path.Combine(data, RunStore.FileName), error);
    }

    [Fact]
    public void TrainRecordsACliRunAndResumeUpdatesTheSameRecord()
    {
        string data = CliRunner.TempDir(), runDir = Path.Combine(data, "my-run");
        string[] sets = Short.SelectMany(s => new[] { "--set", s }).ToArray();
        var first = CliRunner.Run(["train", CliRunner.Config("configs/ssl/tiny.yaml"), "--run-dir", runDir, "--data-dir", data, "--max-steps", "3", .. sets]);
        Assert.True(first.Exit == 0, first.Err);

        using (var store = new RunStore(data))
        {
            var run = Assert.Single(store.List());
            Assert.Equal("cli", run.Source);
            Assert.Equal(runDir, run.Directory);
            Assert.Equal("tiny", run.Name);
            Assert.Equal(("fashion-mnist-sample", "scott", "mim-jepa"), (run.Dataset, run.Tokenizer, run.Objective));
            Assert.Contains("mask_ratio", ConfigLoader.ToYaml(run.Spec!)); // resolved: plugin defaults filled in
            Assert.Equal(RunStatus.Cancelled, run.Status); // stopped early by --max-steps: resumable
            Assert.Equal(3, run.Step);
            Assert.Equal([2L, 3L], store.Metrics(run.Id).Select(m => m.Step)); // log_every, and the last step
        }

        var second = CliRunner.Run("train", "--run-dir", runDir, "--data-dir", data, "--resume");
        Assert.True(second.Exit == 0, second.Err);

        using (var store = new RunStore(data))
        {
            var run = Assert.Single(store.List());
            Assert.Equal(RunStatus.Completed, run.Status);
            Assert.Equal(6, run.Step);
            Assert.Equal([2L, 3L, 4L, 6L], store.Metrics(run.Id).Select(m => m.Step)); // the checkpoint's row (3) kept, later rows re-logged once
        }

        // eval records its result for the run whose folder it evaluated.
        var eval = CliRunner.Run("eval", "--run", runDir, "--data-dir", data, "--protocol", "knn");
        Assert.True(eval.Exit == 0, eval.Err);
        using (var store = new RunStore(data))
        {
            var run = Assert.Single(store.List());
            var evaluation = Assert.Single(store.Evaluations(run.Id));
            Assert.Equal("knn", evaluation.Protocol);
            Assert.Equal("checkpoint", evaluation.Subject);
            Assert.Equal(6, evaluation.CheckpointStep);
            Assert.InRange(evaluation.Top1, 0.0, 1.0);
            Assert.Contains("\"top1\"", evaluation.Json);
        }
    }

    [Fact]
    public void AnUnusableStoreIsOnlyAWarningForTrain()
    {
        string runDir = CliRunner.TempDir(), data = Path.Combine(CliRunner.TempDir(), "a-file");
        File.WriteAllText(data, "the data folder is a file, so the store cannot be opened");
        string[] sets = Short.SelectMany(s => new[] { "--set", s }).ToArray();

        var (exit, output, error) = CliRunner.Run(["train", CliRunner.Config("configs/ssl/tiny.yaml"), "--run-dir", runDir, "--data-dir", data, .. sets]);

        Assert.True(exit == 0, error);
        Assert.Contains("done:", output);
        Assert.Contains("warning: run store", error);
    }
}

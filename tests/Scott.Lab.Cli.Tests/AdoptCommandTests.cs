using System.Text.Json.Nodes;
using Scott.Lab.Runs;

namespace Scott.Lab.Cli.Tests;

/// <summary>`adopt` records run folders the store does not know: the way back after an unreadable store was moved aside.</summary>
public sealed class AdoptCommandTests
{
    private static readonly string[] Short = ["--set", "trainer.steps=6", "--set", "trainer.batch_size=16", "--set", "trainer.log_every=2", "--set", "trainer.checkpoint_every=3"];

    [Fact]
    public void ARunFolderIsRecordedAgainAsTheLostStoreHadItUnderItsOwnId()
    {
        string data = CliRunner.TempDir();
        const string id = "20261202-120000-0badc0de";
        string runDir = Path.Combine(data, "runs", id);
        var train = CliRunner.Run(["train", CliRunner.Config("configs/ssl/tiny.yaml"), "--run-dir", runDir, "--data-dir", data, .. Short]);
        Assert.True(train.Exit == 0, train.Err);
        var eval = CliRunner.Run("eval", "--run", runDir, "--protocol", "knn", "--labels-per-class", "2", "--data-dir", data);
        Assert.True(eval.Exit == 0, eval.Err);

        RunRecord before;
        List<MetricRow> metricsBefore;
        List<EvaluationRecord> evaluationsBefore;
        using (var store = new RunStore(data))
        {
            before = Assert.Single(store.List());
            metricsBefore = store.Metrics(before.Id).ToList();
            evaluationsBefore = store.Evaluations(before.Id).ToList();
        }
        Assert.Equal(RunStatus.Completed, before.Status);
        Assert.Equal(["knn-2pc"], evaluationsBefore.Select(e => e.Id[(e.Id.IndexOf(':') + 1)..]));
        RunStore.MoveAside(data, DateTime.UtcNow); // as the portal does with an unreadable store

        var (exit, output, error) = CliRunner.Run("adopt", "--data-dir", data);

        Assert.True(exit == 0, error);
        Assert.Contains($"adopted as run {id} (completed, step 6)", output);
        Assert.Contains("adopt: 1 of 1 run folders recorded", error);
        using var adopted = new RunStore(data);
        var run = adopted.Get(id)!;
        Assert.Equal(runDir, run.Directory);
        Assert.Equal((RunStatus.Completed, 6L, before.TotalSteps), (run.Status, run.Step, run.TotalSteps));
        Assert.Equal(before.LastLoss, run.LastLoss);
        Assert.True(JsonNode.DeepEquals(before.Spec, run.Spec));
        Assert.Equal((before.Dataset, before.Tokenizer, before.Objective), (run.Dataset, run.Tokenizer, run.Objective));
        Assert.Equal(3, run.Plugins.Count);
        Assert.Equal(before.Plugins.Select(p => (p.Kind, p.Id, p.Sha256)), run.Plugins.Select(p => (p.Kind, p.Id, p.Sha256)));
        Assert.Equal("cpu", run.Device);
        Assert.Contains(run.History, h => h.Message == "adopted from its folder");
        Assert.Equal([2L, 4L, 6L], metricsBefore.Select(m => m.Step));
        Assert.Equal(metricsBefore.Select(m => (m.Step, m.Values["loss"])), adopted.Metrics(id).Select(m => (m.Step, m.Values["loss"])));
        Assert.Equal([3L, 6L], adopted.Artifacts(id).Where(a => a.Kind == "checkpoint").Select(a => a.Step!.Value).Order());
        var evaluation = Assert.Single(adopted.Evaluations(id));
        Assert.Equal((evaluationsBefore[0].Protocol, evaluationsBefore[0].Top1, evaluationsBefore[0].LabelsPerClass, evaluationsBefore[0].CheckpointStep),
            (evaluation.Protocol, evaluation.Top1, evaluation.LabelsPerClass, evaluation.CheckpointStep));

        // A second adopt finds it known and records nothing twice.
        var again = CliRunner.Run("adopt", "--data-dir", data);
        Assert.Contains($"already run {id}, skipped", again.Out);
        Assert.Single(adopted.List());
    }

    [Fact]
    public void AFolderThatIsNotARunIsAnErrorNamingIt()
    {
        string data = CliRunner.TempDir(), folder = CliRunner.TempDir();
        var (exit, _, error) = CliRunner.Run("adopt", folder, "--data-dir", data);
        Assert.Equal(2, exit);
        Assert.Contains($"{folder} has no config.yaml", error);
    }
}

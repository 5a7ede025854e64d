using System.Text.Json.Nodes;

namespace Scott.Lab.Cli.Tests;

public class TrainCommandTests
{
    [Fact]
    public void TinyPresetTrainsAndItsLossFalls()
    {
        string runDir = CliRunner.TempDir();
        var (exit, output, error) = CliRunner.Run("train", CliRunner.Config("configs/ssl/tiny.yaml"), "--run-dir", runDir);

        Assert.True(exit == 0, error);
        Assert.Contains("done:", output);
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(runDir, "summary.json")))!;
        double first = summary["first_loss"]!.GetValue<double>(), last = summary["last_loss"]!.GetValue<double>();
        Assert.Equal(60, summary["steps"]!.GetValue<long>());
        Assert.True(last < 0.8 * first, $"loss fell only from {first} to {last}");
        Assert.True(summary["images_per_second"]!.GetValue<double>() > 0);
        Assert.True(summary["wall_seconds"]!.GetValue<double>() > 0);

        Assert.True(File.Exists(Path.Combine(runDir, "config.yaml")));
        Assert.Contains("mim-jepa", File.ReadAllText(Path.Combine(runDir, "config.yaml")));
        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(runDir, "run.json")))!;
        Assert.Equal(3, run["plugins"]!.AsArray().Count);
        var metrics = File.ReadAllLines(Path.Combine(runDir, "metrics.jsonl"));
        Assert.Equal(6, metrics.Length); // log_every 10 over 60 steps
        Assert.True(Directory.Exists(Path.Combine(runDir, "checkpoints", "step-00000060")));
        Assert.True(Directory.Exists(Path.Combine(runDir, "checkpoints", "step-00000030")));
        Assert.Contains("step 60/60", error); // the progress line

        // One step numbering and one final loss: rows are numbered by steps done (as the log and the checkpoints),
        // and the last row's loss is the summary's last loss, the last log line's loss and the "done:" line's.
        var rows = metrics.Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal([10L, 20L, 30L, 40L, 50L, 60L], rows.Select(r => r["step"]!.GetValue<long>()));
        double lastRow = rows[^1]["loss"]!.GetValue<double>();
        Assert.Equal(lastRow, last);
        Assert.Equal(rows[0]["loss"]!.GetValue<double>(), first);
        var logLines = error.Split('\n').Where(l => l.StartsWith("step ", StringComparison.Ordinal)).ToList();
        Assert.Equal(["step 10/60", "step 20/60", "step 30/60", "step 40/60", "step 50/60", "step 60/60"], logLines.Select(l => l.Split(" | ")[0]));
        string F4(double v) => v.ToString("F4", System.Globalization.CultureInfo.InvariantCulture);
        Assert.StartsWith($"step 60/60 | loss {F4(lastRow)} |", logLines[^1]);
        Assert.Contains($"-> {F4(lastRow)}", output);
    }

    /// <summary>trainer.checkpoint_minutes saves by wall clock (the 2-hour preset's curve points), besides the final checkpoint.</summary>
    [Fact]
    public void CheckpointMinutesSavesByWallClock()
    {
        string runDir = CliRunner.TempDir();
        // 0.0005 min = 30 ms, far less than a step takes: a checkpoint after (nearly) every step, none by step count.
        var (exit, _, error) = CliRunner.Run("train", CliRunner.Config("configs/ssl/tiny.yaml"), "--run-dir", runDir,
            "--set", "trainer.steps=5", "--set", "trainer.checkpoint_every=0", "--set", "trainer.checkpoint_minutes=0.0005");
        Assert.True(exit == 0, error);
        var saved = Directory.GetDirectories(Path.Combine(runDir, "checkpoints"), "step-*").Select(Path.GetFileName).Order().ToList();
        Assert.True(saved.Count >= 3, "checkpoints: " + string.Join(", ", saved));
        Assert.Equal("step-00000005", saved[^1]);

        var bad = CliRunner.Run("train", CliRunner.Config("configs/ssl/tiny.yaml"), "--run-dir", CliRunner.TempDir(), "--set", "trainer.checkpoint_minutes=-1");
        Assert.Equal(2, bad.Exit);
        Assert.Contains("trainer.checkpoint_minutes", bad.Err);
    }

    [Fact]
    public void ResumeContinuesFromTheLatestCheckpointAndFinishes()
    {
        string runDir = CliRunner.TempDir();
        var tiny = CliRunner.Config("configs/ssl/tiny.yaml");
        var first = CliRunner.Run("train", tiny, "--run-dir", runDir, "--max-steps", "20", "--set", "trainer.checkpoint_every=10");
        Assert.True(first.Exit == 0, first.Err);
        var second = CliRunner.Run("train", "--run-dir", runDir, "--resume"); // the run's own config is used
        Assert.True(second.Exit == 0, second.Err);
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(runDir, "summary.json")))!;
        Assert.Equal(20, summary["resumed_from"]!.GetValue<long>());
        Assert.Equal(60, summary["steps"]!.GetValue<long>());
        // Metrics rows are not duplicated by the resume.
        var steps = File.ReadAllLines(Path.Combine(runDir, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!["step"]!.GetValue<long>()).ToList();
        Assert.Equal(steps.Distinct().Count(), steps.Count);
    }

    [Fact]
    public void AnObjectivesAugmentationRecipeAppliesWhereTheConfigSetsNoneAndIsRecorded()
    {
        // MAE's recipe is crop and flip only (color_p 0, crop_scale 0.2–1); the tiny preset sets no augment keys.
        string runDir = CliRunner.TempDir();
        var (exit, _, error) = CliRunner.Run("train", CliRunner.Config("configs/ssl/tiny.yaml"), "--run-dir", runDir, "--max-steps", "1",
            "--set", "objective.id=mae", "--set", "augment.crop_scale=[0.5, 1.0]");
        Assert.True(exit == 0, error);
        var augment = ConfigLoaderOf(runDir)["augment"]!;
        Assert.Equal(0.0, Number(augment["color_p"]));                                  // the recipe
        Assert.Equal([0.5, 1.0], augment["crop_scale"]!.AsArray().Select(Number));     // --set wins
        Assert.Equal(0.8, Number(augment["jitter_p"]));                                 // the host default

        // The host's own recipe for MIM-JEPA: colour on 60% of views.
        string jepaDir = CliRunner.TempDir();
        Assert.Equal(0, CliRunner.Run("train", CliRunner.Config("configs/ssl/tiny.yaml"), "--run-dir", jepaDir, "--max-steps", "1").Exit);
        Assert.Equal(0.6, Number(ConfigLoaderOf(jepaDir)["augment"]!["color_p"]));
    }

    private static double Number(JsonNode? node) => double.Parse(node!.ToString(), System.Globalization.CultureInfo.InvariantCulture);

    private static JsonNode ConfigLoaderOf(string runDir) =>
        Scott.Lab.Engine.Config.ConfigLoader.ParseTree(File.ReadAllText(Path.Combine(runDir, "config.yaml")), "config.yaml");

    [Theory]
    [InlineData("optimizer.lr=-0.001", "optimizer.lr")]
    [InlineData("tokenizer.id=nope", "tokenizer.id: unknown tokenizer 'nope'. Available: patch, scott")]
    [InlineData("objective.id=nope", "objective.id")]
    [InlineData("dataset.options.pretrain_on=everything", "dataset.options.pretrain_on")]
    [InlineData("model.heads=5", "model.heads")]
    [InlineData("model.widht=64", "model.widht")]
    [InlineData("trainer.batch_size=abc", "trainer.batch_size")]
    public void BadConfigValuesGiveOneLineErrorNamingTheKey(string assignment, string expected)
    {
        var (exit, _, error) = CliRunner.Run("train", CliRunner.Config("configs/ssl/tiny.yaml"), "--run-dir", CliRunner.TempDir(), "--set", assignment);
        Assert.Equal(2, exit);
        Assert.Contains(expected, error);
        Assert.StartsWith("error: ", error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public void MissingDatasetFolderIsNamed()
    {
        string missing = Path.Combine(CliRunner.TempDir(), "no-such-folder");
        var (exit, _, error) = CliRunner.Run("train", CliRunner.Config("configs/ssl/fashion-mnist-cpu.yaml"), "--run-dir", CliRunner.TempDir(),
            "--set", $"dataset.options.root={missing}");
        Assert.NotEqual(0, exit);
        Assert.Contains(missing, error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public void CudaWithoutAGpuIsAClearError()
    {
        if (TorchSharp.torch.cuda.is_available()) return; // nothing to check on a GPU machine
        var (exit, _, error) = CliRunner.Run("train", CliRunner.Config("configs/ssl/tiny.yaml"), "--run-dir", CliRunner.TempDir(), "--device", "cuda");
        Assert.Equal(2, exit);
        Assert.Contains("trainer.device: cuda was requested but no CUDA device is available", error);
    }

    [Fact]
    public void MissingConfigFileIsNamed()
    {
        var (exit, _, error) = CliRunner.Run("train", "/nonexistent/run.yaml");
        Assert.Equal(2, exit);
        Assert.Contains("/nonexistent/run.yaml", error);
    }

    [Fact]
    public void WithoutRunDirTheRunGoesUnderTheDataFolder()
    {
        string dataDir = CliRunner.TempDir();
        var (exit, _, error) = CliRunner.Run("train", CliRunner.Config("configs/ssl/tiny.yaml"), "--data-dir", dataDir, "--max-steps", "2");
        Assert.True(exit == 0, error);
        var run = Assert.Single(Directory.GetDirectories(Path.Combine(dataDir, "runs")));
        Assert.StartsWith("tiny-", Path.GetFileName(run));
        Assert.True(File.Exists(Path.Combine(run, "summary.json")));
    }
}

using System.Text.Json.Nodes;

namespace Scott.Lab.Cli.Tests;

/// <summary>End to end on the tiny preset: pre-train for seconds, then every protocol and baseline, with short probes.</summary>
public class EvalCommandTests
{
    private static readonly string[] ShortProbes = ["--linear-epochs", "8", "--attentive-epochs", "4", "--min-steps", "60"];

    private static string TrainTiny()
    {
        string runDir = CliRunner.TempDir();
        var (exit, _, error) = CliRunner.Run("train", CliRunner.Config("configs/ssl/tiny.yaml"), "--run-dir", runDir);
        Assert.True(exit == 0, error);
        return runDir;
    }

    private static JsonNode Result(string runDir, string stem) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(runDir, "eval", stem + ".json")))!;

    [Fact]
    public void EveryProtocolWritesTestMetricsChosenOnValidation()
    {
        string runDir = TrainTiny();
        var (exit, output, error) = CliRunner.Run(["eval", "--run", runDir, "--protocol", "all", .. ShortProbes]);
        Assert.True(exit == 0, error);

        foreach (var protocol in new[] { "linear", "knn", "attentive" })
        {
            var result = Result(runDir, protocol);
            foreach (var key in new[] { "top1", "top5", "mean_per_class" })
                Assert.InRange(result[key]!.GetValue<double>(), 0, 1);
            Assert.True(result["top5"]!.GetValue<double>() >= result["top1"]!.GetValue<double>());
            // 10 classes: a working encoder + probe is far above the 10% of chance, even after 60 steps.
            Assert.True(result["top1"]!.GetValue<double>() > 0.3, $"{protocol}: top-1 {result["top1"]}");
            Assert.Equal(200, result["split_sizes"]!["test"]!.GetValue<int>());
            Assert.Equal(100, result["split_sizes"]!["validation"]!.GetValue<int>()); // 10% of the sample's 1,000 training images
            Assert.EndsWith("step-00000060", result["checkpoint"]!.GetValue<string>());
        }
        var best = Result(runDir, "best");
        Assert.Contains(best["protocol"]!.GetValue<string>(), new[] { "linear", "attentive" });
        Assert.Contains("best probe on validation", output);
        Assert.Contains("features train", error); // progress of feature extraction
    }

    [Fact]
    public void ThePaperProtocolSaysWhichVariantTrainedItsProbes()
    {
        string runDir = TrainTiny();
        var (exit, output, error) = CliRunner.Run(["eval", "--run", runDir, "--protocol", "paper", "--labels-per-class", "2",
            "--probe-epochs", "2", "--probe-warmup-epochs", "1", "--probe-views", "1", "--probe-batch-size", "8", "--probe-attention-heads", "2"]);
        Assert.True(exit == 0, error);
        var result = Result(runDir, "paper-2pc");
        Assert.Equal("paper", result["protocol"]!.GetValue<string>());
        Assert.Equal("bounded K=1", result["variant"]!.GetValue<string>());
        Assert.Equal(20, result["split_sizes"]!["train"]!.GetValue<int>());
        Assert.Equal(3, result["candidates"]!.AsArray().Count);
        Assert.Equal(2, result["paper"]!["epochs"]!.GetValue<int>());
        Assert.Equal(0.2, result["paper"]!["crop_scale"]![0]!.GetValue<double>()); // the run's augment.crop_scale
        Assert.Contains("(bounded K=1 views)", output);
        Assert.Contains("paper probes (bounded K=1)", error); // progress
    }

    [Fact]
    public void BaselinesAndLabelBudgetsGetTheirOwnFiles()
    {
        string runDir = TrainTiny();
        var pixels = CliRunner.Run(["eval", "--run", runDir, "--baseline", "pixels", .. ShortProbes]);
        Assert.True(pixels.Exit == 0, pixels.Err);
        Assert.True(Result(runDir, "linear-pixels")["top1"]!.GetValue<double>() > 0.5); // raw pixels are a decent FMNIST baseline
        Assert.True(File.Exists(Path.Combine(runDir, "eval", "knn-pixels.json")));

        var random = CliRunner.Run(["eval", "--run", runDir, "--baseline", "random-init", "--protocol", "linear", "--labels-per-class", "10", .. ShortProbes]);
        Assert.True(random.Exit == 0, random.Err);
        var result = Result(runDir, "linear-random-init-10pc");
        Assert.Equal(100, result["split_sizes"]!["train"]!.GetValue<int>());
        Assert.Equal("random-init", result["subject"]!.GetValue<string>());
        Assert.Null(result["checkpoint"]);
    }

    [Fact]
    public void TheSupervisedBaselineTrainsOnItsLabelBudgetAndCanBeProbed()
    {
        string runDir = CliRunner.TempDir();
        var (exit, output, error) = CliRunner.Run("train", CliRunner.Config("configs/baselines/supervised-tiny.yaml"), "--run-dir", runDir);
        Assert.True(exit == 0, error);
        Assert.Contains("(200 images,", error); // 20 labels per class x 10 classes
        var metrics = File.ReadAllLines(Path.Combine(runDir, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.True(metrics[^1]["train/acc"]!.GetValue<double>() > 0.3);
        Assert.Contains("done:", output);

        var probe = CliRunner.Run(["eval", "--run", runDir, "--protocol", "linear", "--labels-per-class", "20", .. ShortProbes]);
        Assert.True(probe.Exit == 0, probe.Err);
        Assert.True(Result(runDir, "linear-20pc")["top1"]!.GetValue<double>() > 0.3);
    }

    [Fact]
    public void PretrainingLogsTheOnlineProbeAndHealthMetrics()
    {
        string runDir = TrainTiny();
        var last = JsonNode.Parse(File.ReadAllLines(Path.Combine(runDir, "metrics.jsonl"))[^1])!;
        Assert.InRange(last["online_probe/acc"]!.GetValue<double>(), 0, 1);
        Assert.True(last["online_probe/loss"]!.GetValue<double>() > 0);
        Assert.InRange(last["health/std"]!.GetValue<double>(), 0.001, 2);
        Assert.InRange(last["health/effective_rank"]!.GetValue<double>(), 1, 32);
        Assert.True(File.Exists(Path.Combine(runDir, "checkpoints", "step-00000060", "online-probe.bin")));
    }

    [Theory]
    [InlineData("--protocol", "nope", "--protocol")]
    [InlineData("--baseline", "nope", "--baseline")]
    [InlineData("--checkpoint", "12345", "no checkpoint at step 12345")]
    [InlineData("--checkpoints", "every:0", "not one of all | last | every:N")]
    [InlineData("--budgets", "all,ten", "'ten' is neither 'all' nor a positive number")]
    [InlineData("--probe-views", "-1", "--probe-views: -1; must be 0")]
    [InlineData("--probe-heads", "simple,mlp", "--probe-heads: 'simple,mlp'")]
    [InlineData("--probe-weight-decay", "0.04", "--probe-weight-decay: '0.04' is not two numbers")]
    public void BadArgumentsGiveOneLineErrors(string option, string value, string expected)
    {
        string runDir = CliRunner.TempDir(); // a run directory that was never trained: its config is all eval reads first
        File.Copy(CliRunner.Config("configs/ssl/tiny.yaml"), Path.Combine(runDir, "config.yaml"));
        string[] protocol = option.StartsWith("--probe-") ? ["--protocol", "paper"] : [];
        var (exit, _, error) = CliRunner.Run(["eval", "--run", runDir, .. protocol, option, value]);
        Assert.Equal(2, exit);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void AMissingRunOrALabelBudgetOnAnSslObjectiveIsRefused()
    {
        var missing = CliRunner.Run("eval", "--run", Path.Combine(CliRunner.TempDir(), "nothing"));
        Assert.Equal(2, missing.Exit);
        Assert.Contains("nothing not found; is it a run directory", missing.Err);

        var budget = CliRunner.Run("train", CliRunner.Config("configs/ssl/tiny.yaml"), "--run-dir", CliRunner.TempDir(), "--set", "trainer.labels_per_class=10");
        Assert.Equal(2, budget.Exit);
        Assert.Contains("trainer.labels_per_class", budget.Err);
    }

    /// <summary>Issue 17, item 3: one curve entry per checkpoint, in training order, each with every protocol and budget; a second call adds nothing twice.</summary>
    [Fact]
    public void CheckpointsAllWritesOneCurvePointPerCheckpointInOrder()
    {
        string runDir = CliRunner.TempDir();
        var train = CliRunner.Run("train", CliRunner.Config("configs/ssl/tiny.yaml"), "--run-dir", runDir, "--set", "trainer.checkpoint_every=20");
        Assert.True(train.Exit == 0, train.Err);

        var (exit, output, error) = CliRunner.Run(["eval", "--run", runDir, "--checkpoints", "all", "--protocol", "knn", "--budgets", "all,10"]);
        Assert.True(exit == 0, error);
        var curve = JsonNode.Parse(File.ReadAllText(Path.Combine(runDir, "eval", "curve.json")))!;
        var points = curve["points"]!.AsArray();
        Assert.Equal(new long[] { 20, 40, 60 }, points.Select(p => p!["step"]!.GetValue<long>()));
        Assert.Equal(new[] { "step-00000020", "step-00000040", "step-00000060" }, points.Select(p => p!["checkpoint"]!.GetValue<string>()));
        foreach (var point in points)
        {
            Assert.Equal(point!["step"]!.GetValue<long>() * 64, point["images_seen"]!.GetValue<long>()); // tiny: batch 64
            var results = point["results"]!.AsArray();
            Assert.Equal(2, results.Count);
            Assert.Contains(results, r => r!["labels_per_class"] is null);
            Assert.Contains(results, r => r!["labels_per_class"]?.GetValue<int>() == 10);
            Assert.All(results, r => Assert.InRange(r!["top1"]!.GetValue<double>(), 0.1, 1)); // 10 classes: above chance
        }
        // Different checkpoints are different encoders: the three all-label kNN scores are not one number repeated.
        Assert.True(points.Select(p => p!["results"]!.AsArray().First(r => r!["labels_per_class"] is null)!["top1"]!.GetValue<double>()).Distinct().Count() > 1);
        Assert.Contains("step-00000040", output);

        var again = CliRunner.Run(["eval", "--run", runDir, "--checkpoints", "every:2", "--protocol", "knn", "--budgets", "all,10"]);
        Assert.True(again.Exit == 0, again.Err);
        Assert.Contains("step-00000040: already on curve.json, skipped", again.Err);
        Assert.Contains("step-00000060: already on curve.json, skipped", again.Err);
        Assert.DoesNotContain("step-00000020", again.Err); // every:2 picks the 2nd checkpoint and the last
        Assert.Equal(3, JsonNode.Parse(File.ReadAllText(Path.Combine(runDir, "eval", "curve.json")))!["points"]!.AsArray().Count);
    }
}

using System.Text.Json.Nodes;

namespace Scott.Lab.Cli.Tests;

public class SweepCommandTests
{
    [Fact]
    public void TrainerMaxMinutesStopsCleanlyWithACheckpointAndSaysSo()
    {
        string runDir = CliRunner.TempDir();
        // 0.002 min = 120 ms: far less than the 100,000 steps would take; the schedule still spans all of them.
        var (exit, output, error) = CliRunner.Run("train", CliRunner.Config("configs/ssl/tiny.yaml"), "--run-dir", runDir,
            "--set", "trainer.steps=100000", "--set", "trainer.max_minutes=0.002");

        Assert.True(exit == 0, error);
        Assert.Contains("time budget trainer.max_minutes=0.002 reached", output);
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(runDir, "summary.json")))!;
        long steps = summary["steps"]!.GetValue<long>();
        Assert.True(summary["budget_reached"]!.GetValue<bool>());
        Assert.InRange(steps, 1, 99_999);
        Assert.Equal(100_000, summary["total_steps"]!.GetValue<long>());
        Assert.True(Directory.Exists(Path.Combine(runDir, "checkpoints", $"step-{steps:D8}")), "the budget's last step is checkpointed");
        // The last step is logged too, so the monitors of a budgeted run are never missing.
        var lastRow = JsonNode.Parse(File.ReadLines(Path.Combine(runDir, "metrics.jsonl")).Last())!;
        Assert.Equal(steps, lastRow["step"]!.GetValue<long>()); // rows are numbered by steps done

        var bad = CliRunner.Run("train", CliRunner.Config("configs/ssl/tiny.yaml"), "--run-dir", CliRunner.TempDir(), "--set", "trainer.max_minutes=0");
        Assert.Equal(2, bad.Exit);
        Assert.Contains("trainer.max_minutes: must be between 0 (exclusive)", bad.Err);
    }

    [Fact]
    public void SweepTrainsEachObjectiveForTheSameBudgetAndWritesTheMethodTable()
    {
        string outDir = CliRunner.TempDir();
        var (exit, output, error) = CliRunner.Run("sweep", "--config", CliRunner.Config("configs/ssl/tiny.yaml"),
            "--objectives", "simclr,supervised", "--minutes", "0.05", "--out", outDir, "--labels-per-class", "10",
            "--linear-epochs", "2", "--min-steps", "20", "--data-dir", CliRunner.TempDir());

        Assert.True(exit == 0, error + output);
        Assert.Contains("sweep: probing simclr (10 labels per class and all labels)", error);
        string table = File.ReadAllText(Path.Combine(outDir, "method-table.md"));
        Assert.Contains("| objective | linear (all) | kNN (all) | linear (10/class) | kNN (10/class) |", table);
        Assert.Contains("| simclr |", table);
        Assert.Contains("| supervised |", table);
        Assert.Contains(table, output);

        var rows = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "sweep.json")))!["rows"]!.AsArray();
        Assert.Equal(["simclr", "supervised"], rows.Select(r => r!["objective"]!.ToString()));
        foreach (var row in rows)
        {
            Assert.Null(row!["error"]);
            Assert.True(row["steps"]!.GetValue<long>() > 0);
            Assert.True(row["images_per_second"]!.GetValue<double>() > 0);
            Assert.True(row["peak_rss_megabytes"]!.GetValue<double>() > 50, "the child's VmHWM is read");
            Assert.InRange(row["linear_few"]!.GetValue<double>(), 0.0, 1.0);
            Assert.InRange(row["knn_few"]!.GetValue<double>(), 0.0, 1.0);
            Assert.InRange(row["linear_all"]!.GetValue<double>(), 0.0, 1.0);
            Assert.InRange(row["knn_all"]!.GetValue<double>(), 0.0, 1.0);
            // Each method stopped on the budget: 3 s of training plus at most one step.
            Assert.InRange(row["train_seconds"]!.GetValue<double>(), 3.0, 30.0);
        }

        // Every method trained the preset's backbone with the budget; only the label-trained one got labels.
        string simclr = File.ReadAllText(Path.Combine(outDir, "simclr", "config.yaml"));
        string supervised = File.ReadAllText(Path.Combine(outDir, "supervised", "config.yaml"));
        Assert.Contains("max_minutes: 0.05", simclr);
        // The same views for every method: the preset's augment section (here the host defaults), not SimCLR's recipe (color_p 1).
        Assert.Contains("color_p: 0.6", simclr);
        Assert.Contains("color_p: 0.6", supervised);
        Assert.Contains("schedule: constant", simclr);
        Assert.Contains("labels_per_class: 10", supervised);
        Assert.DoesNotContain("labels_per_class: 10", simclr);
        Assert.Contains("width: 32", supervised);
        Assert.True(File.Exists(Path.Combine(outDir, "simclr", "eval", "linear-10pc.json")));
        Assert.True(File.Exists(Path.Combine(outDir, "simclr", "eval", "knn.json")));
    }

    [Fact]
    public void EveryMethodGetsThePresetsAugmentationsUnlessEachMayUseItsOwnRecipe()
    {
        var simclr = Scott.Lab.Plugins.PluginCatalog.Load([Scott.Lab.Plugins.PluginCatalog.BuiltInFolder])
            .Resolve<Scott.Lab.Abstractions.Plugins.IObjectivePlugin>("simclr", "--objectives");
        Assert.Equal(1.0, simclr.Augmentation?.ColorP); // the recipe the shared setting overrides
        var settings = new Scott.Lab.Cli.Commands.SweepCommand.SweepSettings(CliRunner.Config("configs/ssl/fashion-mnist-cpu.yaml"), 1, 100, true,
            ["augment.blur_p=0.25"], 30, 300, 0);

        var shared = Scott.Lab.Cli.Commands.SweepCommand.TrainOverrides(settings, simclr);
        Assert.Contains("augment.crop_scale=[0.3,1]", shared); // the preset's
        Assert.Contains("augment.color_p=0.6", shared);        // the host default, pinned
        Assert.Contains("augment.blur_p=0.25", shared);        // the user's --set, pinned
        Assert.Equal("augment.blur_p=0.25", shared[^1]);       // and applied last

        var own = Scott.Lab.Cli.Commands.SweepCommand.TrainOverrides(settings with { ObjectiveAugment = true }, simclr);
        Assert.DoesNotContain(own, o => o.StartsWith("augment.color_p", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("--objectives", "simclr,nope", "--objectives: unknown objective 'nope'")]
    [InlineData("--minutes", "0", "--minutes: must be positive")]
    [InlineData("--objectives", "simclr,simclr", "'simclr' is listed twice")]
    public void BadArgumentsFailBeforeAnyTraining(string option, string value, string expected)
    {
        var args = new Dictionary<string, string> { ["--objectives"] = "simclr", ["--minutes"] = "1" };
        args[option] = value;
        string outDir = Path.Combine(CliRunner.TempDir(), "never");
        var (exit, _, error) = CliRunner.Run("sweep", "--config", CliRunner.Config("configs/ssl/tiny.yaml"), "--objectives", args["--objectives"],
            "--minutes", args["--minutes"], "--out", outDir);
        Assert.Equal(2, exit);
        Assert.Contains(expected, error);
        Assert.False(Directory.Exists(outDir));
    }
}

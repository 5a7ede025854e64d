using Scott.Lab.Engine.Config;
using Scott.Lab.Engine.Training;
using Scott.Lab.Plugins;

namespace Scott.Lab.Cli.Tests;

/// <summary>Train 2N steps straight, and N + checkpoint + resume + N: the losses must match at every step after the resume.</summary>
public class ResumeTests
{
    private const int N = 4;

    private static AssembledRun Build() =>
        RunBuilder.Build(
            RunSpecBinder.BindWithoutPlugins(ConfigLoader.LoadTree(CliRunner.Config("configs/ssl/tiny.yaml"),
                // Dropout and drop-path on, so that the RNG has to be reproduced too.
                ["trainer.steps=8", "trainer.batch_size=16", "model.dropout=0.1", "model.drop_path=0.2", "model.attn_dropout=0.1"])),
            PluginCatalog.Load([PluginCatalog.BuiltInFolder]));

    private static List<double> Losses(Trainer trainer, long from, long to)
    {
        var losses = new List<double>();
        for (long s = from; s < to; s++) losses.Add(trainer.Step(s, withMetrics: false).Loss);
        return losses;
    }

    [Fact]
    public void ResumedRunMatchesTheStraightRunAtEveryStep()
    {
        List<double> straight;
        using (var run = Build())
        using (var trainer = new Trainer(run))
            straight = Losses(trainer, 0, 2 * N);

        var checkpoints = new Checkpoints(CliRunner.TempDir());
        using (var run = Build())
        using (var trainer = new Trainer(run))
        {
            Assert.Equal(straight.Take(N), Losses(trainer, 0, N));
            trainer.SaveCheckpoint(checkpoints, N);
        }

        List<double> resumed;
        using (var run = Build())
        using (var trainer = new Trainer(run))
        {
            Assert.Equal(N, trainer.Restore(checkpoints.Latest()!));
            resumed = Losses(trainer, N, 2 * N);
        }
        Assert.Equal(straight.Skip(N), resumed);
        Assert.True(straight.Distinct().Count() > 1, "losses should change from step to step");
    }

    /// <summary>Every step's loss, and the metrics read every third step (so that a read spans the checkpoint at N).</summary>
    private static List<string> LossesAndProbe(Trainer trainer, long from, long to)
    {
        var log = new List<string>();
        for (long s = from; s < to; s++)
        {
            var result = trainer.Step(s, withMetrics: (s + 1) % 3 == 0);
            log.Add($"{s} loss {result.Loss:R}");
            log.AddRange(result.Metrics.Where(m => m.Key.StartsWith("online_probe/", StringComparison.Ordinal))
                .OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => $"{s} {m.Key} {m.Value:R}"));
        }
        return log;
    }

    [Fact]
    public void ResumedRunLogsTheSameOnlineProbeMetrics()
    {
        // The probe's AdamW moments and what it accumulated since the last read are in the checkpoint: without
        // them the probe's loss and accuracy after a resume differ from the straight run's.
        List<string> straight;
        using (var run = Build())
        using (var trainer = new Trainer(run))
            straight = LossesAndProbe(trainer, 0, 2 * N);
        Assert.Contains(straight, line => line.StartsWith($"{N + 1} online_probe/loss ", StringComparison.Ordinal));
        Assert.Contains(straight, line => line.StartsWith($"{N + 1} online_probe/acc ", StringComparison.Ordinal));

        var checkpoints = new Checkpoints(CliRunner.TempDir());
        using (var run = Build())
        using (var trainer = new Trainer(run))
        {
            Assert.Equal(straight.TakeWhile(line => !line.StartsWith($"{N} ", StringComparison.Ordinal)), LossesAndProbe(trainer, 0, N));
            trainer.SaveCheckpoint(checkpoints, N);
        }

        List<string> resumed;
        using (var run = Build())
        using (var trainer = new Trainer(run))
        {
            Assert.Equal(N, trainer.Restore(checkpoints.Latest()!));
            resumed = LossesAndProbe(trainer, N, 2 * N);
        }
        Assert.Equal(straight.SkipWhile(line => !line.StartsWith($"{N} ", StringComparison.Ordinal)), resumed);
    }

    [Fact]
    public void WithoutRestoringTheLossesDiffer()
    {
        // The control for the test above: continuing at step N from fresh weights must not reproduce the straight run.
        List<double> straight;
        using (var run = Build())
        using (var trainer = new Trainer(run))
            straight = Losses(trainer, 0, 2 * N);
        using (var run = Build())
        using (var trainer = new Trainer(run))
            Assert.NotEqual(straight.Skip(N), Losses(trainer, N, 2 * N));
    }

    [Fact]
    public void CancellingStopsAfterTheCurrentStepWithACheckpoint()
    {
        var directory = new Scott.Lab.Engine.Training.RunDirectory(CliRunner.TempDir());
        using var run = Build();
        using var cancel = new CancellationTokenSource();
        cancel.Cancel(); // as SIGTERM/Ctrl+C would, before the first step ends
        var summary = new Scott.Lab.Engine.Training.TrainingDriver(run, directory).Run(resume: false, maxSteps: null, progress: null, cancel.Token);
        Assert.True(summary.Cancelled);
        Assert.Equal(1, summary.Steps);
        Assert.Equal(1, new Checkpoints(directory.Path).Latest() is { } latest ? Checkpoints.Load(latest, run.Objective, null).Step : -1);
    }
}

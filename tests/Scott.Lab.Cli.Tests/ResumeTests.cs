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

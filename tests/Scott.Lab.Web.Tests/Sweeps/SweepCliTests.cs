using Scott.Lab.Cli.Commands;
using Scott.Lab.Runs;
using Scott.Lab.Runs.Sweeps;
using Scott.Lab.Web.Tests.Integration;

namespace Scott.Lab.Web.Tests.Sweeps;

/// <summary>`scott-lab sweep-launch`: the same sweep as the form and POST /api/sweeps, queued on a portal over HTTP.</summary>
[Collection(nameof(SessionTests))]
public sealed class SweepCliTests
{
    private static string Tiny => Path.Combine(Specs.RepoRoot, "configs", "ssl", "tiny.yaml");

    private static (int Exit, string Out, string Err) Cli(params string[] args)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        int exit = CliApp.Run(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void ARandomSearchIsQueuedOnThePortalAsOneSweepWithSeededDraws()
    {
        using var host = PortalHost.Http();
        try
        {
            var (exit, output, errors) = Cli("sweep-launch", "--portal", host.Url!, "--config", Tiny, "--set", "trainer.steps=2", "--set", "name=cli-sweep",
                "--range", "optimizer.lr=1e-4:1e-2:log", "--grid", "model.ffn=swiglu,mlp", "--random", "3", "--seed", "5");
            Assert.True(exit == 0, errors);
            var sweep = Assert.Single(host.Store.ListSweeps());
            Assert.Equal((SweepMode.Random, 3, 5, "cli-sweep"), (sweep.Mode, sweep.Trials, sweep.Seed, sweep.Name));
            Assert.Contains($"sweep {sweep.Id}: 3 runs queued", output);
            Assert.Contains($"/sweeps/{sweep.Id}", output);
            var runs = host.Store.RunsOfSweep(sweep.Id);
            Assert.Equal(3, runs.Count);
            // The portal drew what SweepPlan draws for these parameters and seed.
            var (expected, _) = SweepPlan.Expand(sweep.Parameters, SweepMode.Random, 3, 5);
            Assert.Equal(expected.Select(t => t["optimizer.lr"]!.GetValue<double>()), runs.Select(r => r.Spec!["optimizer"]!["lr"]!.GetValue<double>()));
            Assert.All(runs, r => Assert.Equal(2, r.Spec!["trainer"]!["steps"]!.GetValue<long>()));
            foreach (var run in runs) host.Sessions.Cancel(run.Id);
        }
        finally
        {
            host.KillWorkers();
        }
    }

    [Fact]
    public void ARefusedSweepSaysWhichTrialAndKeyAndQueuesNothing()
    {
        using var host = PortalHost.Http();
        // width 32: heads 3 does not divide it.
        var (exit, _, errors) = Cli("sweep-launch", "--portal", host.Url!, "--config", Tiny, "--grid", "model.heads=2,3");
        Assert.Equal(CliApp.ExitConfigError, exit);
        Assert.Contains("model.heads: trial 2 of 2 (model.heads=3): width 32 is not divisible by heads 3", errors);
        Assert.Empty(host.Store.List());

        (exit, _, errors) = Cli("sweep-launch", "--portal", host.Url!, "--config", Tiny, "--range", "optimizer.lr=1e-4");
        Assert.Equal(CliApp.ExitConfigError, exit);
        Assert.Contains("expected key=min:max", errors);
        (exit, _, errors) = Cli("sweep-launch", "--portal", host.Url!, "--config", Tiny);
        Assert.Equal(CliApp.ExitConfigError, exit);
        Assert.Contains("give what to sweep", errors);
        (exit, _, errors) = Cli("sweep-launch", "--portal", host.Url!, "--config", Tiny, "--range", "optimizer.lr=1e-4:1e-2:log", "--grid", "optimizer.lr=1,2");
        Assert.Contains("swept twice", errors);
        Assert.Empty(host.Store.List());
    }
}

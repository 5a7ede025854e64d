using Microsoft.Extensions.DependencyInjection;
using Scott.Lab.Runs;
using Scott.Lab.Web.Features.Sessions;
using Scott.Lab.Web.Tests.Integration;

namespace Scott.Lab.Web.Tests.Sessions;

/// <summary>The portal's Evaluate button runs the paper protocol's bounded variant: a CPU worker cannot pass the encoder over the training split 100 times.</summary>
public sealed class PaperEvaluationCommandTests
{
    [Fact]
    public void ThePaperProtocolRunsItsBoundedVariantAndTheOthersAreUnchanged()
    {
        using var host = new PortalHost(PortalHost.NewDataDir());
        var commandLine = host.Services.GetRequiredService<WorkerCommandLine>();
        var run = host.Store.Create(new RunRecord { Name = "paper", Status = RunStatus.Completed });

        var paper = commandLine.Evaluation(run, "paper", 10).Arguments;
        int protocol = paper.ToList().IndexOf("--protocol"), views = paper.ToList().IndexOf("--probe-views");
        Assert.Equal("paper", paper[protocol + 1]);
        Assert.True(views > 0, string.Join(" ", paper));
        Assert.Equal(WorkerCommandLine.PaperProbeViews.ToString(), paper[views + 1]);

        Assert.DoesNotContain("--probe-views", commandLine.Evaluation(run, "linear", null).Arguments);
    }

    /// <summary>Evaluate with Checkpoints: all (the run page) asks eval for the accuracy curve; the latest checkpoint asks for nothing more.</summary>
    [Fact]
    public void SeveralCheckpointsAskEvalForTheAccuracyCurve()
    {
        using var host = new PortalHost(PortalHost.NewDataDir());
        var commandLine = host.Services.GetRequiredService<WorkerCommandLine>();
        var run = host.Store.Create(new RunRecord { Name = "curve", Status = RunStatus.Completed });

        var curve = commandLine.Evaluation(run, "knn", null, "every:2").Arguments.ToList();
        Assert.Equal("every:2", curve[curve.IndexOf("--checkpoints") + 1]);
        Assert.DoesNotContain("--checkpoints", commandLine.Evaluation(run, "knn", null).Arguments);
    }
}

using Bunit;
using Microsoft.AspNetCore.Components.Web;
using MudBlazor;
using Scott.Lab.Runs;
using Scott.Lab.Web.Features.Runs;
using Scott.Lab.Web.Tests.Components;

namespace Scott.Lab.Web.Tests.RunDetails;

/// <summary>The run page's Evaluations and Resources tabs on a seeded store (bUnit: no processes).</summary>
public sealed class RunPageProgressComponentTests : PortalComponentTest
{
    private const int EvaluationsTab = 4, ResourcesTab = 7;

    [Fact]
    public async Task ARunningEvaluationShowsItsPhaseBarAndEtaDisablesEvaluateAndCanBeCancelled()
    {
        var run = AddRun("tiny", RunStatus.Completed);
        var now = DateTime.UtcNow;
        Store.SetEvaluationProgress(run.Id, new EvaluationProgress
        {
            State = EvaluationState.Running, Protocol = "linear", Stage = "linear probe", Done = 10, Total = 40,
            StartedUtc = now.AddSeconds(-60), StageStartedUtc = now.AddSeconds(-20), UpdatedUtc = now,
            Phases = [new() { Stage = "features train", Seconds = 30 }, new() { Stage = "features validation", Seconds = 5 }, new() { Stage = "features test", Seconds = 5 }],
        });
        RenderPopoverProvider();
        var cut = Render<RunPage>(p => p.Add(x => x.Id, run.Id));
        var tabs = cut.FindComponent<MudTabs>();
        await cut.InvokeAsync(() => tabs.Instance.ActivatePanelAsync(EvaluationsTab));

        Assert.Equal("Training the linear probe: epoch 11/40", cut.Find("[data-testid=eval-phase]").TextContent);
        // 10 epochs in 20 s: 30 left take about a minute.
        Assert.Matches("about (59 s|1 min \\d+ s) left in this phase", cut.Find("[data-testid=eval-eta]").TextContent);
        Assert.Contains("features test (5 s)", cut.Find("[data-testid=eval-eta]").TextContent);
        Assert.True(cut.Find("[data-testid=evaluate]").HasAttribute("disabled"));

        await cut.Find("[data-testid=eval-cancel]").ClickAsync(new MouseEventArgs());
        cut.WaitForAssertion(() => Assert.Equal([run.Id], Launcher.EvaluationsCancelled));
        Assert.Contains("the run is untouched", cut.Find("[data-testid=run-message]").TextContent);
    }

    [Fact]
    public async Task AnEndedEvaluationSaysHowAndTopFiveOfFiveClassesIsNotShownAsAHundredPercent()
    {
        var run = AddRun("tiny", RunStatus.Completed);
        Store.SetEvaluationProgress(run.Id, new EvaluationProgress
        {
            State = EvaluationState.Failed, Protocol = "knn", StartedUtc = DateTime.UtcNow.AddMinutes(-1), UpdatedUtc = DateTime.UtcNow,
            Message = "the eval process exited with code 1. The end of eval.log:\nout of memory",
        });
        Store.AddEvaluation(new EvaluationRecord { Id = $"{run.Id}:knn", RunId = run.Id, Protocol = "knn", Top1 = 0.8, Top5 = 1.0, Classes = 5 });
        Store.AddEvaluation(new EvaluationRecord { Id = $"{run.Id}:linear", RunId = run.Id, Protocol = "linear", Top1 = 0.7, Top5 = 0.95, Classes = 10 });
        RenderPopoverProvider();
        var cut = Render<RunPage>(p => p.Add(x => x.Id, run.Id));
        var tabs = cut.FindComponent<MudTabs>();
        await cut.InvokeAsync(() => tabs.Instance.ActivatePanelAsync(EvaluationsTab));

        Assert.Equal("Failed", cut.Find("[data-testid=eval-state]").TextContent);
        Assert.Contains("out of memory", cut.Find("[data-testid=eval-message]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=eval-cancel]"));
        Assert.False(cut.Find("[data-testid=evaluate]").HasAttribute("disabled"));
        var top5 = cut.FindAll("[data-testid=eval-top5]");
        Assert.Equal("n/a (5 classes)", top5[0].TextContent);
        Assert.Contains("always 100%", top5[0].GetAttribute("title"));
        Assert.Equal((0.95).ToString("P2", System.Globalization.CultureInfo.InvariantCulture), top5[1].TextContent);
    }

    [Fact]
    public async Task TheResourcesTabChartsEachProcessKindsSamples()
    {
        var run = AddRun("tiny", RunStatus.Running);
        var t0 = DateTime.UtcNow.AddMinutes(-1);
        for (int i = 0; i < 5; i++)
        {
            Store.AddResourceSample(run.Id, new ResourceSample { Role = "worker", Pid = 7, Host = "node1", AtUtc = t0.AddSeconds(10 * i), CpuPercent = 180 + i, RssBytes = (400L + i) << 20, GpuPercent = 90, GpuMemoryBytes = 3L << 30, GpuMemoryTotalBytes = 80L << 30 });
            Store.AddResourceSample(run.Id, new ResourceSample { Role = "eval", Pid = 8, Host = "node1", AtUtc = t0.AddSeconds(10 * i + 5), CpuPercent = 90, RssBytes = 200L << 20 });
        }
        RenderPopoverProvider();
        var cut = Render<RunPage>(p => p.Add(x => x.Id, run.Id));
        var tabs = cut.FindComponent<MudTabs>();
        await cut.InvokeAsync(() => tabs.Instance.ActivatePanelAsync(ResourcesTab));

        string worker = cut.Find("[data-testid=resources-worker]").TextContent;
        Assert.Contains("pid 7 on node1", worker);
        Assert.Contains("CPU 184 %", worker);
        Assert.Contains("GPU 90 %", worker);
        Assert.Contains("GPU memory 3 GB of 80 GB", worker);
        Assert.Contains("second 40: 184", cut.Find("[data-testid='chart-worker cpu %']").TextContent);
        Assert.Equal("5", cut.Find("[data-testid='plot-worker gpu %']").GetAttribute("data-points")); // every GPU sample drawn
        Assert.Contains("CPU 90 %", cut.Find("[data-testid=resources-eval]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid='chart-eval gpu %']")); // no GPU samples: no GPU chart
    }
}

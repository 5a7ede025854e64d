using Microsoft.AspNetCore.Components.Web;
using Bunit;
using MudBlazor;
using Scott.Lab.Runs;
using Scott.Lab.Web.Features.Compare;
using Scott.Lab.Web.Features.Maps;
using Scott.Lab.Web.Features.Plugins;
using Scott.Lab.Web.Features.Runs;
using Scott.Lab.Web.Features.Sessions;
using Scott.Lab.Web.Features.Experiments;
using Scott.Lab.Web.Features.Dashboard;
using RunsList = Scott.Lab.Web.Features.Runs.RunsPage;

namespace Scott.Lab.Web.Tests.Components;

public sealed class RunsListTests : PortalComponentTest
{
    private static string Row(RunRecord run) => $"[data-testid=run-row-{run.Id}]";

    [Fact]
    public async Task TheListFiltersBySearchStatusAndTag()
    {
        var alpha = AddRun("alpha-scott", RunStatus.Completed, "baseline");
        var beta = AddRun("beta-patch", RunStatus.Running);
        var gamma = AddRun("gamma-scott", RunStatus.Failed, "baseline");
        RenderPopoverProvider();
        var cut = Render<RunsList>();
        Assert.Equal(3, cut.FindAll("[data-testid^=run-row-]").Count);
        Assert.Contains("/runs/" + beta.Id, cut.Find(Row(beta)).InnerHtml);

        // The list follows the search box once the input is processed: wait for that state (a loaded machine is slow).
        var settle = TimeSpan.FromSeconds(30);
        cut.Find("input[data-testid=runs-search]").Input("beta");
        cut.WaitForAssertion(() => Assert.NotNull(Assert.Single(cut.FindAll("[data-testid^=run-row-]"), r => r.GetAttribute("data-testid") == $"run-row-{beta.Id}")), settle);

        cut.Find("input[data-testid=runs-search]").Input("-scott"); // the names, not the tokenizer (every run uses scott)
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid^=run-row-]").Count), settle);

        var status = cut.FindComponents<MudSelect<RunStatus?>>().Single();
        await cut.InvokeAsync(() => status.Instance.ValueChanged.InvokeAsync(RunStatus.Failed));
        Assert.Single(cut.FindAll("[data-testid^=run-row-]"));
        Assert.NotNull(cut.Find(Row(gamma)));

        await cut.InvokeAsync(() => status.Instance.ValueChanged.InvokeAsync(RunStatus.Running));
        Assert.Empty(cut.FindAll("[data-testid^=run-row-]"));
        Assert.Contains("No run matches the filters.", cut.Markup);

        await cut.InvokeAsync(() => status.Instance.ValueChanged.InvokeAsync(null));
        cut.Find("input[data-testid=runs-search]").Input("");
        cut.WaitForAssertion(() => Assert.Equal(3, cut.FindAll("[data-testid^=run-row-]").Count), settle);
        var tag = cut.FindComponents<MudSelect<string>>().Single(s => s.Instance.Label == "Tag");
        await cut.InvokeAsync(() => tag.Instance.ValueChanged.InvokeAsync("baseline"));
        cut.WaitForAssertion(() => Assert.Equal(new[] { alpha.Id, gamma.Id }.Order(), cut.FindAll("[data-testid^=run-row-]").Select(r => r.GetAttribute("data-testid")![8..]).Order()), settle);
    }

    [Fact]
    public async Task ColumnsSortBothWays()
    {
        var start = DateTime.UtcNow.AddMinutes(-10);
        foreach (var (name, i) in new[] { "b-run", "c-run", "a-run" }.Select((n, i) => (n, i)))
            Store.Update(AddRun(name, RunStatus.Completed).Id, r => r.CreatedUtc = start.AddMinutes(i));
        RenderPopoverProvider();
        var cut = Render<RunsList>();
        string[] Names() => cut.FindAll("[data-testid^=run-row-] td:first-child").Select(td => td.TextContent.Trim()).ToArray();

        Assert.Equal(["a-run", "c-run", "b-run"], Names()); // newest first
        await cut.Find("[data-testid=sort-name]").ClickAsync(new MouseEventArgs());
        Assert.Equal(["a-run", "b-run", "c-run"], Names());
        await cut.Find("[data-testid=sort-name]").ClickAsync(new MouseEventArgs());
        Assert.Equal(["c-run", "b-run", "a-run"], Names());
    }

    [Fact]
    public void TheDashboardCountsRunsByStatusAndShowsProgress()
    {
        AddRun("done", RunStatus.Completed);
        AddRun("done-too", RunStatus.Completed);
        var live = AddRun("live", RunStatus.Running);
        Store.Update(live.Id, r => { r.Step = 30; r.TotalSteps = 60; r.LastLoss = 0.5; });

        var cut = Render<Home>();

        Assert.Contains("2", cut.Find("[data-testid=count-Completed]").TextContent);
        Assert.Contains("1", cut.Find("[data-testid=count-Running]").TextContent);
        Assert.Contains("0", cut.Find("[data-testid=count-Failed]").TextContent);
        Assert.Contains("step 30/60", cut.Find($"[data-testid=running-{live.Id}]").TextContent);
        Assert.Equal(3, cut.FindAll("[data-testid^=latest-]").Count);
        Assert.NotNull(cut.Find("a[href='/experiments/new']"));
        Assert.NotNull(cut.Find("a[href='/plugins']"));
    }
}

public sealed class RunPageTests : PortalComponentTest
{
    [Fact]
    public void ASlurmRunShowsItsJobStateReasonAndNodeOnTheRunPageAndTheDashboard()
    {
        var waiting = AddRun("on-slurm", RunStatus.Queued);
        Store.Update(waiting.Id, r => (r.Executor, r.JobId, r.JobState, r.JobReason) = ("slurm", "4242", "PENDING", "Resources"));
        var local = AddRun("here", RunStatus.Running);

        var page = Render<RunPage>(p => p.Add(x => x.Id, waiting.Id));
        Assert.Equal("Slurm 4242 · PENDING (Resources)", page.Find("[data-testid=run-job]").TextContent.Trim());
        Assert.Equal("slurm", page.Find("[data-testid=run-executor]").TextContent.Trim());

        Store.Update(waiting.Id, r => (r.Status, r.JobState, r.JobReason, r.JobNode) = (RunStatus.Running, "RUNNING", null, "gpu07"));
        var home = Render<Home>();
        Assert.Equal("RUNNING · gpu07", home.Find($"[data-testid=job-{waiting.Id}]").TextContent.Trim());
        Assert.Empty(home.FindAll($"[data-testid=job-{local.Id}]")); // a local run has no job
    }

    [Fact]
    public void AnUnknownRunSaysSo()
    {
        var cut = Render<RunPage>(p => p.Add(x => x.Id, "20990101-000000-dead"));
        Assert.Contains("No such run: '20990101-000000-dead'", cut.Find("[data-testid=run-not-found]").TextContent);
    }

    [Fact]
    public async Task TheRunPageShowsStatusMetricsConfigAndEvaluations()
    {
        var run = AddRun("tiny", RunStatus.Running);
        Store.Update(run.Id, r =>
        {
            r.Spec = Scott.Lab.Engine.Config.ConfigLoader.ParseTree("name: tiny\ntrainer:\n  steps: 60\n", "test spec");
            r.Plugins = [new PluginRef { Kind = "Tokenizer", Id = "scott", Version = "0.1.0", Sha256 = new string('a', 64) }];
        });
        Store.AppendMetrics(run.Id, 9, new Dictionary<string, double> { ["loss"] = 1.5, ["lr"] = 1e-4, ["health/std"] = 0.9 });
        Store.AppendMetrics(run.Id, 19, new Dictionary<string, double> { ["loss"] = 1.2, ["lr"] = 2e-4, ["health/std"] = 0.8 });
        Store.AddEvaluation(new EvaluationRecord { RunId = run.Id, Protocol = "knn", Top1 = 0.8123, Top5 = 0.99, MeanPerClass = 0.81, LabelsPerClass = 10 });
        Directory.CreateDirectory(Path.Combine(run.Directory, "checkpoints", "step-00000030"));
        File.WriteAllLines(Path.Combine(run.Directory, "worker.log"), Enumerable.Range(1, 150).Select(i => $"line {i}"));

        RenderPopoverProvider();
        var cut = Render<RunPage>(p => p.Add(x => x.Id, run.Id));

        Assert.Equal("Running", cut.Find("[data-testid=run-status]").TextContent);
        Assert.False(cut.Find("[data-testid=cancel]").HasAttribute("disabled"));
        Assert.True(cut.Find("[data-testid=resume]").HasAttribute("disabled"));
        Assert.Contains("scott", cut.Find("[data-testid=run-plugins]").TextContent);

        // The tabs' content (MudTabs renders the active panel only).
        var tabs = cut.FindComponent<MudTabs>();
        await cut.InvokeAsync(() => tabs.Instance.ActivatePanelAsync(1));
        Assert.Contains("step 19: 1.2", cut.Find("[data-testid=chart-loss]").TextContent);
        Assert.Equal("2", cut.Find("[data-testid=plot-loss]").GetAttribute("data-points")); // both rows drawn (interactive chart)
        Assert.Contains("No data yet.", cut.Find("[data-testid='chart-online_probe/acc']").TextContent);

        await cut.InvokeAsync(() => tabs.Instance.ActivatePanelAsync(2));
        Assert.Contains("steps: 60", cut.Find("[data-testid=run-config]").TextContent);

        await cut.InvokeAsync(() => tabs.Instance.ActivatePanelAsync(3));
        string log = cut.Find("[data-testid=run-log]").TextContent;
        Assert.StartsWith("line 1\n", log); // the whole log: a page holds 500 lines
        Assert.EndsWith("line 150", log.TrimEnd());

        await cut.InvokeAsync(() => tabs.Instance.ActivatePanelAsync(4));
        Assert.Contains("81.23", cut.Find("[data-testid=run-evaluations]").TextContent);
        cut.Find("input[data-testid=eval-labels]").Change("5");
        await cut.Find("[data-testid=evaluate]").ClickAsync(new MouseEventArgs());
        cut.WaitForAssertion(() => Assert.Equal((run.Id, "linear", (int?)5), Assert.Single(Launcher.Evaluated)));

        await cut.InvokeAsync(() => tabs.Instance.ActivatePanelAsync(5));
        Assert.Contains("step-00000030", cut.Find("[data-testid=run-checkpoint-folders]").TextContent);
    }

    [Fact]
    public async Task CancelAndResumeGoThroughTheLauncherAndTheStatusFollowsTheStore()
    {
        var run = AddRun("tiny", RunStatus.Running);
        var cut = Render<RunPage>(p => p.Add(x => x.Id, run.Id));

        await cut.Find("[data-testid=cancel]").ClickAsync(new MouseEventArgs());
        cut.WaitForAssertion(() => Assert.Equal([run.Id], Launcher.Cancelled));

        // What the worker does on cancel; the page polls the store once a second.
        Store.SetStatus(run.Id, RunStatus.Cancelled, "cancelled");
        cut.WaitForAssertion(() => Assert.Equal("Cancelled", cut.Find("[data-testid=run-status]").TextContent), TimeSpan.FromSeconds(8));
        Assert.True(cut.Find("[data-testid=cancel]").HasAttribute("disabled"));

        await cut.Find("[data-testid=resume]").ClickAsync(new MouseEventArgs());
        cut.WaitForAssertion(() => Assert.Equal([run.Id], Launcher.Resumed));
    }

    [Fact]
    public async Task NewMetricRowsReachTheChartsWhileTheRunTrains()
    {
        var run = AddRun("tiny", RunStatus.Running);
        Store.AppendMetrics(run.Id, 9, new Dictionary<string, double> { ["loss"] = 1.5 });
        RenderPopoverProvider();
        var cut = Render<RunPage>(p => p.Add(x => x.Id, run.Id));
        await cut.InvokeAsync(() => cut.FindComponent<MudTabs>().Instance.ActivatePanelAsync(1));
        Assert.Contains("step 9: 1.5", cut.Find("[data-testid=chart-loss]").TextContent);

        // What a worker does: a new row and progress; the page polls the store once a second.
        Store.AppendMetrics(run.Id, 19, new Dictionary<string, double> { ["loss"] = 0.75, ["online_probe/acc"] = 0.25 });
        Store.Update(run.Id, r => { r.Step = 20; r.LastLoss = 0.75; });

        cut.WaitForAssertion(() => Assert.Contains("step 19: 0.75", cut.Find("[data-testid=chart-loss]").TextContent), TimeSpan.FromSeconds(8));
        Assert.Contains("step 19: 0.25", cut.Find("[data-testid='chart-online_probe/acc']").TextContent);
        Assert.Contains("step 20/60", cut.Find("[data-testid=run-progress]").TextContent);
    }

    [Fact]
    public async Task TagsAndNotesAreSavedToTheStore()
    {
        var run = AddRun("tiny", RunStatus.Completed);
        var cut = Render<RunPage>(p => p.Add(x => x.Id, run.Id));

        cut.Find("input[data-testid=run-tags]").Change("baseline, fmnist, baseline");
        cut.Find("textarea[data-testid=run-notes]").Change("lr too high");
        await cut.Find("[data-testid=save-notes]").ClickAsync(new MouseEventArgs());

        var saved = Store.Get(run.Id)!;
        Assert.Equal(["baseline", "fmnist"], saved.Tags);
        Assert.Equal("lr too high", saved.Notes);
    }
}

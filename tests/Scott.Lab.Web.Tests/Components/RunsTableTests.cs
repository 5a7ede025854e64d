using Bunit;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using Scott.Lab.Runs;
using Microsoft.Extensions.DependencyInjection;
using Scott.Lab.Web.Tests.Compare;
using RunsList = Scott.Lab.Web.Features.Runs.RunsPage;

namespace Scott.Lab.Web.Tests.Components;

/// <summary>The runs table's columns, grouping, filter and selection, rendered (the model itself is tested in Scott.Lab.Runs.Tests/Table).</summary>
public sealed class RunsTablePageTests : PortalComponentTest
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(30);

    private string Query => new Uri(Services.GetRequiredService<NavigationManager>().Uri).Query;

    private IRenderedComponent<RunsList> Open(string query)
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo("/runs" + query);
        RenderPopoverProvider();
        return Render<RunsList>();
    }

    [Fact]
    public async Task ColumnsFromTheUrlShowTheirValuesAndAFilterNarrowsTheRowsInTheUrl()
    {
        var narrow = CompareSeed.FinishedRun(Store, "narrow", 32, 0.71);
        var wide = CompareSeed.FinishedRun(Store, "wide", 64, 0.83);
        var cut = Open("?cols=model.width,metric.loss.best,eval.linear.top1");

        string Cell(RunRecord run, string key) => cut.Find($"[data-testid=run-row-{run.Id}] [data-testid='cell-{key}']").TextContent.Trim();
        Assert.Equal("32", Cell(narrow, "model.width"));
        Assert.Equal("64", Cell(wide, "model.width"));
        Assert.Equal("0.83", Cell(wide, "eval.linear.top1"));
        Assert.Equal("0.0987", Cell(narrow, "metric.loss.best")); // 2/30 + 32/1000, the lowest of its 30 rows
        Assert.NotNull(cut.Find($"[data-testid=spark-{wide.Id}] polyline"));

        var filter = cut.FindComponents<MudTextField<string>>().Single(f => f.Instance.Label == "Filter");
        await cut.InvokeAsync(() => filter.Instance.ValueChanged.InvokeAsync("model.width > 40 and eval.linear.top1 > 0.8"));
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid^=run-row-]")), Settle);
        Assert.NotNull(cut.Find($"[data-testid=run-row-{wide.Id}]"));
        Assert.Contains("filter=model.width%20%3E%2040", Query);
        Assert.Contains("cols=model.width,metric.loss.best,eval.linear.top1", Query);
        Assert.Contains("1 of 2 runs", cut.Find("[data-testid=runs-count]").TextContent);

        await cut.InvokeAsync(() => filter.Instance.ValueChanged.InvokeAsync("model.widht > 40"));
        cut.WaitForAssertion(() => Assert.Contains("unknown column 'model.widht' at 1:1 (did you mean 'model.width'?)",
            cut.Find("[data-testid=runs-filter-error]").TextContent), Settle);
        Assert.Equal(2, cut.FindAll("[data-testid^=run-row-]").Count);
    }

    [Fact]
    public async Task AColumnIsAddedFromThePickerAndRemovedAgain()
    {
        var run = CompareSeed.FinishedRun(Store, "one", 48, 0.6);
        var cut = Open("");
        var picker = cut.FindComponent<MudAutocomplete<string>>();
        async Task<List<string>> Offered(string typed)
        {
            var search = picker.Instance.SearchFunc;
            Assert.NotNull(search);
            var pending = search(typed, CancellationToken.None);
            Assert.NotNull(pending);
            return [.. (await pending) ?? []];
        }
        var offered = await Offered("width");
        Assert.Equal("model.width", offered[0]);
        Assert.Contains("eval.linear.top1", await Offered("linear"));

        await cut.InvokeAsync(() => picker.Instance.ValueChanged.InvokeAsync("model.width"));
        cut.WaitForAssertion(() => Assert.Equal("48", cut.Find($"[data-testid=run-row-{run.Id}] [data-testid='cell-model.width']").TextContent.Trim()), Settle);
        Assert.Contains("cols=model.width", Query);
        Assert.DoesNotContain("model.width", await Offered("width")); // shown already

        await cut.Find("[data-testid='remove-col-model.width']").ClickAsync(new());
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid='col-model.width']")), Settle);
        Assert.DoesNotContain("cols=", Query);
    }

    [Fact]
    public void RunsAreGroupedAndSelectAllTicksTheRunsShown()
    {
        var a = AddRun("a-run", RunStatus.Completed, "sweep-1");
        var b = AddRun("b-run", RunStatus.Completed, "sweep-1", "best");
        var c = AddRun("c-run", RunStatus.Failed);
        var cut = Open("?group=tag&status=Completed");

        Assert.Equal(["group-sweep-1", "group-best"], cut.FindAll("[data-testid^=group-]").Select(g => g.GetAttribute("data-testid")!).ToArray());
        Assert.Contains("2 runs", cut.Find("[data-testid=group-sweep-1]").TextContent);
        Assert.Empty(cut.FindAll($"[data-testid=run-row-{c.Id}]"));

        cut.Find("[data-testid=select-all]").Change(true);
        cut.WaitForAssertion(() => Assert.Contains("Compare (2)", cut.Find("[data-testid=compare-selected]").TextContent), Settle);
        Assert.True(cut.Find($"[data-testid=select-{a.Id}]").HasAttribute("checked"));
        cut.Find("[data-testid=select-all]").Change(false);
        cut.WaitForAssertion(() => Assert.Contains("Compare (0)", cut.Find("[data-testid=compare-selected]").TextContent), Settle);

        // Collapsing a group hides its rows, not the others'.
        cut.Find("[data-testid=group-best]").Click();
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll($"[data-testid=run-row-{b.Id}]")), Settle);
    }
}

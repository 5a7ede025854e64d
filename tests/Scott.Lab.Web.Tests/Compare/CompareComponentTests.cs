using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Scott.Lab.Runs;
using Scott.Lab.Runs.Comparison;
using Scott.Lab.Web.Components.Charts;
using Scott.Lab.Web.Features.Compare;
using Scott.Lab.Web.Features.Maps;
using Scott.Lab.Web.Tests.Components;
using ComparePage = Scott.Lab.Web.Features.Compare.ComparePage;
using RunsList = Scott.Lab.Web.Features.Runs.RunsPage;

namespace Scott.Lab.Web.Tests.Compare;

public sealed class CompareComponentTests : PortalComponentTest
{
    private readonly FakeMapImages _maps = new();

    public CompareComponentTests() => Services.AddCompare(Store);

    private Comparison Build(CompareView view, params RunRecord[] runs) =>
        ComparisonBuilder.Build(ComparisonLoader.Load(Store, runs.Select(r => r.Id)).Runs, view);

    [Fact]
    public void DiffOnlyShowsExactlyTheKeysThatDiffer()
    {
        var a = CompareSeed.FinishedRun(Store, "narrow", width: 32, linearTop1: 0.7);
        var b = CompareSeed.FinishedRun(Store, "wide", width: 64, linearTop1: 0.8);
        var comparison = Build(new CompareView(), a, b);

        var cut = Render<ConfigDiffTable>(p => p.Add(t => t.Rows, comparison.Diff).Add(t => t.Runs, comparison.Runs).Add(t => t.DiffOnly, true));
        string[] Keys() => cut.FindAll("[data-testid^=diff-row-]").Select(r => r.GetAttribute("data-testid")!["diff-row-".Length..]).ToArray();
        Assert.Equal(["model.width", "name"], Keys());
        Assert.Equal(["32", "64"], cut.FindAll("[data-testid='diff-row-model.width'] td").Skip(2).Select(td => td.TextContent));

        bool? asked = null;
        cut.Render(p => p.Add(t => t.DiffOnly, true).Add(t => t.DiffOnlyChanged, (bool on) => asked = on));
        cut.Find("[data-testid=diff-only]").Change(false);
        Assert.False(asked);

        cut.Render(p => p.Add(t => t.DiffOnly, false));
        Assert.Contains("model.depth", Keys());
        Assert.Contains("optimizer.lr", Keys());
        Assert.Contains("TorchSharp", Keys());
        Assert.True(Keys().Length > 5);
    }

    [Fact]
    public void TheEvaluationTableHighlightsTheBestRunOfEachRow()
    {
        var a = CompareSeed.FinishedRun(Store, "a", 32, linearTop1: 0.70);
        var b = CompareSeed.FinishedRun(Store, "b", 64, linearTop1: 0.82);
        var c = CompareSeed.FinishedRun(Store, "c", 96, linearTop1: 0.75);
        var comparison = Build(new CompareView(), a, b, c);

        var cut = Render<EvaluationTable>(p => p.Add(t => t.Rows, comparison.Evaluations).Add(t => t.Runs, comparison.Runs));
        // Rows: linear top-1, top-5, mean per class, then knn ...
        Assert.Equal("linear, all labels", cut.Find("[data-testid=eval-row-0] td").TextContent);
        Assert.Equal(["false", "true", "false"], Enumerable.Range(0, 3).Select(r => cut.Find($"[data-testid=eval-0-{r}]").GetAttribute("data-best") ?? ""));
        Assert.Equal("82.00 %", cut.Find("[data-testid=eval-0-1]").TextContent.Trim());
        Assert.Contains("font-weight:700", cut.Find("[data-testid=eval-0-1]").GetAttribute("style"));
        // top-5 ties (0.99 everywhere): every run is best.
        Assert.Equal(["true", "true", "true"], Enumerable.Range(0, 3).Select(r => cut.Find($"[data-testid=eval-1-{r}]").GetAttribute("data-best") ?? ""));
        Assert.Equal(["false", "true", "false"], Enumerable.Range(0, 3).Select(r => cut.Find($"[data-testid=eval-3-{r}]").GetAttribute("data-best") ?? "")); // knn top-1
    }

    [Fact]
    public void MapsSitSideBySideOneColumnPerRunFromTheMapsEndpoint()
    {
        Services.AddSingleton<IMapImages>(_maps);
        var a = CompareSeed.FinishedRun(Store, "a", 32, 0.7);
        var b = CompareSeed.FinishedRun(Store, "b", 64, 0.8);
        Services.GetRequiredService<NavigationManager>().NavigateTo($"/compare?runs={b.Id},{a.Id}&images=test-1,test-7&map=attention");

        var cut = Render<ComparePage>();

        var headers = cut.FindAll("[data-testid=maps-grid] thead th").Select(th => th.TextContent.Trim()).ToArray();
        Assert.Equal(["image", "b", "a"], headers); // the URL's run order
        var firstRow = cut.FindAll("[data-testid=maps-grid] tbody tr")[0];
        var sources = firstRow.QuerySelectorAll("img").Select(i => i.GetAttribute("src") ?? "").ToArray();
        Assert.Equal(
        [
            $"/api/runs/{b.Id}/maps/original.png?image=test-1&set=test-1,test-7", $"/api/runs/{b.Id}/maps/attention.png?image=test-1&set=test-1,test-7",
            $"/api/runs/{a.Id}/maps/original.png?image=test-1&set=test-1,test-7", $"/api/runs/{a.Id}/maps/attention.png?image=test-1&set=test-1,test-7",
        ], sources);
        Assert.Equal(2, cut.FindAll("[data-testid=maps-grid] tbody tr").Count);
        Assert.Empty(_maps.Requests); // the live page never pushes pixels: the browser fetches the PNGs
    }

    [Fact]
    public void ImagesArePickedFromThumbnailsNotTypedAndThePageNamesNoApiUrl()
    {
        Services.AddSingleton<IMapImages>(_maps);
        var a = CompareSeed.FinishedRun(Store, "a", 32, 0.7);
        var b = CompareSeed.FinishedRun(Store, "b", 64, 0.8);
        _maps.NoCheckpoint.Add(a.Id); // the first run has no checkpoint yet: the picker takes the next run's images
        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo($"/compare?runs={a.Id},{b.Id}");

        var cut = Render<ComparePage>();

        cut.WaitForAssertion(() => Assert.Equal(6, cut.FindAll("[data-testid^=compare-image-test-]").Count));
        Assert.Equal($"/api/runs/{b.Id}/maps/original.png?image=test-0&size=64", cut.Find("[data-testid=compare-image-test-0]").GetAttribute("src"));
        Assert.Empty(cut.FindAll("input[type=text][data-testid=compare-images]")); // no typed ids any more
        Assert.DoesNotContain("/api/", cut.Find("[data-testid=compare-maps]").TextContent);

        cut.Find("[data-testid=compare-image-test-3]").Click();
        Assert.EndsWith("&images=test-3", navigation.Uri);
        cut.Find("[data-testid=compare-image-test-5]").Click();
        Assert.EndsWith("&images=test-3,test-5", navigation.Uri);
        Assert.Equal("true", cut.Find("[data-testid=compare-image-test-3]").GetAttribute("data-chosen"));
        Assert.Equal(2, cut.FindAll("[data-testid=maps-grid] tbody tr").Count);
        cut.Find("[data-testid=compare-image-test-3]").Click(); // again: removed
        Assert.EndsWith("&images=test-5", navigation.Uri);

        cut.Find("[data-testid=compare-images-more]").Click();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=compare-image-test-6]")));
    }

    [Fact]
    public void WhenNoRunHasACheckpointThePickerSaysWhy()
    {
        Services.AddSingleton<IMapImages>(_maps);
        var a = CompareSeed.FinishedRun(Store, "a", 32, 0.7);
        _maps.NoCheckpoint.Add(a.Id);
        Services.GetRequiredService<NavigationManager>().NavigateTo($"/compare?runs={a.Id}");
        var cut = Render<ComparePage>();
        cut.WaitForAssertion(() => Assert.Contains("No images to pick from", cut.Find("[data-testid=compare-images-note]").TextContent));
        Assert.Contains("has no checkpoint yet", cut.Find("[data-testid=compare-images-note]").TextContent);
    }

    [Fact]
    public void ThreeRunsGetAParallelCoordinatesPlotWithTheirKeysListed()
    {
        var runs = new[] { CompareSeed.FinishedRun(Store, "a", 32, 0.7), CompareSeed.FinishedRun(Store, "b", 64, 0.8, lr: 0.002), CompareSeed.FinishedRun(Store, "c", 96, 0.75) };
        Services.GetRequiredService<NavigationManager>().NavigateTo($"/compare?runs={string.Join(',', runs.Select(r => r.Id))}");
        var cut = Render<ComparePage>();
        // model.width, optimizer.lr and the metric (loss): labels short, the full keys listed under the plot.
        Assert.Equal("3", cut.Find("[data-testid=parallel-plot]").GetAttribute("data-axes"));
        Assert.Contains("lr = optimizer.lr", cut.Find("[data-testid=parallel-keys]").TextContent);
    }

    [Fact]
    public void WithoutAMapRendererThePageSaysMapsAreUnavailable()
    {
        var a = CompareSeed.FinishedRun(Store, "a", 32, 0.7);
        Services.GetRequiredService<NavigationManager>().NavigateTo($"/compare?runs={a.Id}&images=test-1");
        var cut = Render<ComparePage>();
        Assert.Contains("Maps are unavailable", cut.Find("[data-testid=maps-unavailable]").TextContent);
        Assert.NotEqual("0", cut.Find("[data-testid=plot-loss]").GetAttribute("data-points"));
    }

    [Fact]
    public void ControlsPutTheViewInTheUrl()
    {
        var a = CompareSeed.FinishedRun(Store, "a", 32, 0.7);
        var b = CompareSeed.FinishedRun(Store, "b", 64, 0.8);
        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo($"/compare?runs={a.Id},{b.Id}");
        var cut = Render<ComparePage>();
        Assert.Equal(["a", "b"], cut.FindComponent<LineChart>().Instance.Series.Select(s => s.Name));

        cut.Find("input[data-testid='metric-lr']").Change(true);
        Assert.EndsWith($"/compare?runs={a.Id},{b.Id}&metrics=loss,lr", navigation.Uri);
        cut.Find("[data-testid=compare-smoothing] input").Change("0.6");
        Assert.EndsWith("&smooth=0.6", navigation.Uri);
        var xAxis = cut.FindComponent<MudBlazor.MudSelect<XAxis>>();
        cut.InvokeAsync(() => xAxis.Instance.ValueChanged.InvokeAsync(XAxis.Wall));
        Assert.Contains("&x=wall", navigation.Uri);
        cut.Find("input[data-testid=compare-log]").Change(true);
        Assert.Contains("&log=1", navigation.Uri);
        cut.Find($"[data-testid=remove-run-{a.Id}]").Click();
        Assert.Contains($"runs={b.Id}", navigation.Uri);
    }

    [Fact]
    public void ABadLinkSaysWhichKeyIsWrongAndStillShowsTheRuns()
    {
        var a = CompareSeed.FinishedRun(Store, "a", 32, 0.7);
        Services.GetRequiredService<NavigationManager>().NavigateTo($"/compare?runs={a.Id},nope&smooth=7");
        var cut = Render<ComparePage>();
        Assert.Contains("smooth: '7' must be a number from 0", cut.Find("[data-testid=compare-error]").TextContent);
        Assert.NotNull(cut.Find($"[data-testid=compare-run-{a.Id}]"));
        Assert.Contains("No run 'nope'", cut.Find("[data-testid=compare-missing-nope]").TextContent);
    }

    [Fact]
    public void TickingRunsInTheListLinksToTheirComparison()
    {
        var a = AddRun("first", RunStatus.Completed);
        var b = AddRun("second", RunStatus.Completed);
        RenderPopoverProvider();
        var cut = Render<RunsList>();
        Assert.True(cut.Find("[data-testid=compare-selected]").HasAttribute("disabled"));

        cut.Find($"[data-testid=select-{b.Id}]").Change(true);
        cut.Find($"[data-testid=select-{a.Id}]").Change(true);
        Assert.Equal($"/compare?runs={b.Id},{a.Id}", cut.Find("[data-testid=compare-selected]").GetAttribute("href"));
        Assert.Contains("Compare (2)", cut.Find("[data-testid=compare-selected]").TextContent);
        cut.Find($"[data-testid=select-{b.Id}]").Change(false);
        Assert.Equal($"/compare?runs={a.Id}", cut.Find("[data-testid=compare-selected]").GetAttribute("href"));
    }
}

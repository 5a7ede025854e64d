using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Scott.Lab.Runs.Comparison;
using Scott.Lab.Runs.Snapshots;
using Scott.Lab.Web.Tests.Components;
using ComparePage = Scott.Lab.Web.Features.Compare.ComparePage;
using SnapshotsPage = Scott.Lab.Web.Features.Compare.Snapshots;

namespace Scott.Lab.Web.Tests.Compare;

public sealed class SnapshotsPageTests : PortalComponentTest
{
    public SnapshotsPageTests() => Services.AddCompare(Store);

    [Fact]
    public void ShareFreezesTheViewAndTheSnapshotsPageRevokesIt()
    {
        var a = CompareSeed.FinishedRun(Store, "a", 32, 0.7);
        var b = CompareSeed.FinishedRun(Store, "b", 64, 0.8);
        Services.GetRequiredService<NavigationManager>().NavigateTo($"/compare?runs={a.Id},{b.Id}&x=epoch&log=1");
        var compare = Render<ComparePage>();
        compare.Find("[data-testid=share-title]").Change("Epochs, log scale");
        compare.Find("[data-testid=share]").Click();

        string link = compare.WaitForElement("[data-testid=share-link]").GetAttribute("href")!;
        string token = link[(link.LastIndexOf('/') + 1)..];
        var snapshot = Services.GetRequiredService<SnapshotStore>().Get(token)!;
        Assert.Equal("Epochs, log scale", snapshot.Title);
        Assert.Equal($"runs={a.Id},{b.Id}&x=epoch&log=1", snapshot.Query);

        var page = Render<SnapshotsPage>();
        Assert.Contains("Epochs, log scale", page.Find($"[data-testid=snapshot-row-{token}]").TextContent);
        page.Find($"[data-testid=revoke-{token}]").Click();
        Assert.Contains("Revoked", page.Find("[data-testid=snapshots-message]").TextContent);
        Assert.Empty(page.FindAll($"[data-testid=snapshot-row-{token}]"));
        Assert.Null(Services.GetRequiredService<SnapshotStore>().Get(token));
    }
}

/// <summary>Beyond loopback without the key: no list of tokens, no sharing.</summary>
public sealed class SnapshotsPageBehindTheKeyTests() : PortalComponentTest("http://0.0.0.0:5080")
{
    protected override string? AdminKey => "secret";

    [Fact]
    public void WithoutTheKeyTheListIsHiddenAndSharingIsRefused()
    {
        Services.AddCompare(Store);
        var snapshots = Services.GetRequiredService<SnapshotStore>();
        var a = CompareSeed.FinishedRun(Store, "a", 32, 0.7);
        var existing = snapshots.Create("", new CompareView { Runs = [a.Id] }, ComparisonLoader.Load(Store, [a.Id]).Runs, [], []);

        var page = Render<SnapshotsPage>();
        Assert.Contains("admin key", page.Find("[data-testid=snapshots-refused]").TextContent);
        Assert.DoesNotContain(existing.Id, page.Markup);

        Services.GetRequiredService<NavigationManager>().NavigateTo($"/compare?runs={a.Id}");
        var compare = Render<ComparePage>();
        compare.Find("[data-testid=share]").Click();
        Assert.Contains("admin key", compare.Find("[data-testid=share-error]").TextContent);
        Assert.Single(snapshots.List());
    }
}

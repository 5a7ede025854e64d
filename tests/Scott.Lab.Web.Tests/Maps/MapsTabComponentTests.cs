using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Scott.Lab.Runs;
using Scott.Lab.Web.Features.Maps;
using Scott.Lab.Web.Tests.Components;

namespace Scott.Lab.Web.Tests.Maps;

/// <summary>The Maps tab in bUnit with the real renderer, on runs that have no maps to show.</summary>
public sealed class MapsTabComponentTests : PortalComponentTest
{
    public MapsTabComponentTests() => Services.AddMaps();

    [Fact]
    public void A_run_without_a_checkpoint_says_so_instead_of_showing_maps()
    {
        var run = AddRun("untrained", RunStatus.Running);
        string folder = Path.Combine(DataDir, "runs", "untrained");
        Directory.CreateDirectory(folder);
        Store.Update(run.Id, r => r.Directory = folder);
        RenderPopoverProvider();
        var cut = Render<MapsTab>(p => p.Add(t => t.RunId, run.Id));
        cut.WaitForAssertion(() => Assert.Contains("the run has no checkpoint yet", cut.Find("[data-testid=maps-message]").TextContent));
        Assert.Empty(cut.FindAll("[data-testid^=map-thumb-]"));
    }

    [Fact]
    public void An_unknown_run_is_a_message_not_a_broken_circuit()
    {
        RenderPopoverProvider();
        var cut = Render<MapsTab>(p => p.Add(t => t.RunId, "nope"));
        cut.WaitForAssertion(() => Assert.Contains("no run 'nope'", cut.Find("[data-testid=maps-message]").TextContent));
    }
}

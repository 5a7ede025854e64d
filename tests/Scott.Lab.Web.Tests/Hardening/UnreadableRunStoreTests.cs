using Microsoft.Extensions.DependencyInjection;
using Scott.Lab.Runs;
using Scott.Lab.Web.Features.Runs;
using Scott.Lab.Web.Tests.Integration;

namespace Scott.Lab.Web.Tests.Hardening;

/// <summary>A run store file that is not a LiteDB database stopped the portal at start-up with a stack trace.</summary>
public sealed class UnreadableRunStoreTests
{
    [Fact]
    public async Task ThePortalStartsMovesTheUnreadableStoreAsideUnchangedAndSaysSoOnEveryPage()
    {
        string dataDir = PortalHost.NewDataDir();
        string file = Path.Combine(dataDir, RunStore.FileName);
        byte[] garbage = Enumerable.Range(0, 3 * 8192).Select(i => (byte)(i * 7919 % 251)).ToArray();
        File.WriteAllBytes(file, garbage);

        // A run the lost store knew, with what its folder holds.
        const string lostId = "20261202-110000-0ddba11a";
        string runDir = Path.Combine(dataDir, "runs", lostId);
        Directory.CreateDirectory(runDir);
        File.WriteAllText(Path.Combine(runDir, "config.yaml"), "name: lost-run\ndataset:\n  id: fashion-mnist\ntokenizer:\n  id: scott\nobjective:\n  id: mim-jepa\n");
        File.WriteAllLines(Path.Combine(runDir, "metrics.jsonl"), ["{\"step\":2,\"loss\":0.9}", "{\"step\":4,\"loss\":0.7}"]);
        File.WriteAllText(Path.Combine(runDir, "summary.json"), "{\"steps\":4,\"total_steps\":4,\"last_loss\":0.7,\"cancelled\":false}");

        using var host = new PortalHost(dataDir);
        var client = host.CreateClient();
        foreach (string page in new[] { "/", "/runs" })
        {
            string html = await client.GetStringAsync(page);
            Assert.Contains("data-testid=\"run-store-notice\"", html);
            Assert.Contains("The run store could not be read", html);
        }
        string moved = Assert.Single(Directory.GetFiles(dataDir, RunStore.FileName + ".unreadable-*"));
        Assert.Equal(garbage, File.ReadAllBytes(moved));
        // The run folders are recorded again in the background; the banner then says how many.
        await host.Services.GetRequiredService<RunStoreOpener>().Adoption.WaitAsync(TimeSpan.FromMinutes(2));
        string home = await client.GetStringAsync("/");
        Assert.Contains(moved, home);
        Assert.Contains("1 of 1 run folders", home);
        var lost = host.Store.Get(lostId)!;
        Assert.Equal(("lost-run", RunStatus.Completed, 4L, 0.7), (lost.Name, lost.Status, lost.Step, lost.LastLoss));
        Assert.Equal([2L, 4L], host.Store.Metrics(lostId).Select(m => m.Step));
        // The new store takes new runs too.
        var run = host.Store.Create(new RunRecord { Name = "after the move", Dataset = "fashion-mnist" });
        Assert.Equal([run.Id, lostId], host.Store.List().Select(r => r.Id));
    }

    [Fact]
    public async Task AReadableStoreShowsNoNotice()
    {
        using var host = new PortalHost(PortalHost.NewDataDir());
        string html = await host.CreateClient().GetStringAsync("/");
        Assert.Contains("Scott.Lab", html);
        Assert.DoesNotContain("run-store-notice", html);
    }
}

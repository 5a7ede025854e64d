using Scott.Lab.Runs;
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
        string home = await client.GetStringAsync("/");
        Assert.Contains(moved, home);
        Assert.Contains($"scott-lab adopt --data-dir {dataDir}", home); // the way back for the runs
        // The new store works: a run recorded now is listed.
        var run = host.Store.Create(new RunRecord { Name = "after the move", Dataset = "fashion-mnist" });
        Assert.Equal([run.Id], host.Store.List().Select(r => r.Id));
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

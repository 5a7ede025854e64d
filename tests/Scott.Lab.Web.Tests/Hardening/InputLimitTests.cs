using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Scott.Lab.Runs;
using Scott.Lab.Web.Tests.Integration;

namespace Scott.Lab.Web.Tests.Hardening;

/// <summary>Input limits (issue 15, item 7): invalid UTF-8 and oversized bodies are 4xx with a message; names, tags and notes have limits.</summary>
public sealed class InputLimitTests : IDisposable
{
    private readonly PortalHost _host = new(PortalHost.NewDataDir());

    public void Dispose()
    {
        _host.KillWorkers(); // the old code accepted the long name and started a worker
        _host.Dispose();
    }

    [Fact]
    public async Task InvalidUtf8InTheSpecIs400NamingTheByte()
    {
        var client = _host.CreateClient();
        byte[] json = Encoding.UTF8.GetBytes(Specs.Tiny("name=XXXX").ToJsonString());
        int at = Encoding.UTF8.GetString(json).IndexOf("XXXX", StringComparison.Ordinal);
        json[at] = 0xC3; json[at + 1] = 0x28; // a lead byte followed by a non-continuation byte
        var content = new ByteArrayContent(json);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        var response = await client.PostAsync("/api/runs", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        string message = (await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!["spec"]![0]!.GetValue<string>();
        Assert.Equal($"is not valid UTF-8 (at byte {at}): send JSON encoded as UTF-8.", message);
        Assert.Empty(_host.Store.List());
    }

    [Fact]
    public async Task AnOversizedBodyIs400WithTheLimitAndItsSetting()
    {
        var client = _host.CreateClient();
        var response = await client.PostAsync("/api/runs", Specs.Json(Specs.Tiny("name=" + new string('n', 2 << 20)))); // 2 MB (the 10 MB gave a 500)

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("larger than 1024 KB (the setting ScottLab:MaxJsonBodyKilobytes)", (await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!["spec"]![0]!.GetValue<string>());
        Assert.Empty(_host.Store.List());

        using var small = new PortalHost(PortalHost.NewDataDir(), settings: new Dictionary<string, string?> { ["ScottLab:MaxJsonBodyKilobytes"] = "4" });
        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(Specs.Tiny("name=" + new string('n', 8000)).ToJsonString())));
        chunked.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        var refused = await small.CreateClient().PostAsync("/api/runs", chunked);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("larger than 4 KB", await refused.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ALongNameIs400AndTheRunsListStaysSmall()
    {
        var client = _host.CreateClient();
        var response = await client.PostAsync("/api/runs", Specs.Json(Specs.Tiny("name=" + new string('n', 4000))));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        string message = (await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!["name"]![0]!.GetValue<string>();
        Assert.Equal($"must be at most {RunLimits.MaxNameLength} characters, got 4000", message);
        Assert.Empty(_host.Store.List());
    }

    [Fact]
    public void TheStoreRefusesNamesTagsAndNotesOverTheirLimits()
    {
        var store = _host.Store;
        var e = Assert.Throws<ArgumentException>(() => store.Create(new RunRecord { Name = new string('n', RunLimits.MaxNameLength + 1) }));
        Assert.StartsWith($"name: must be at most {RunLimits.MaxNameLength} characters", e.Message);

        var run = store.Create(new RunRecord { Name = new string('n', RunLimits.MaxNameLength), Tags = ["a"], Notes = "fine" });
        Assert.StartsWith("tags: at most 20 tags", Assert.Throws<ArgumentException>(() =>
            store.Update(run.Id, r => r.Tags = Enumerable.Range(0, RunLimits.MaxTags + 1).Select(i => $"t{i}").ToList())).Message);
        Assert.StartsWith("tags: each tag must be at most 50 characters", Assert.Throws<ArgumentException>(() =>
            store.Update(run.Id, r => r.Tags = [new string('t', RunLimits.MaxTagLength + 1)])).Message);
        Assert.StartsWith("notes: must be at most 10000 characters", Assert.Throws<ArgumentException>(() =>
            store.Update(run.Id, r => r.Notes = new string('x', RunLimits.MaxNotesLength + 1))).Message);
        Assert.Equal(["a"], store.Get(run.Id)!.Tags); // nothing was written
        Assert.Equal(7, store.Update(run.Id, r => r.Step = 7)!.Step); // other updates go on
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.Testing;
using Scott.Lab.Web.Hosting;
using Scott.Lab.Web.Tests.Integration;

namespace Scott.Lab.Web.Tests.Hardening;

/// <summary>CSRF and DNS rebinding (issue 15, item 2): cross-site changes and foreign Host headers are refused.</summary>
public sealed class CrossSiteTests : IDisposable
{
    private readonly PortalHost _host = new(PortalHost.NewDataDir());

    public void Dispose()
    {
        _host.KillWorkers(); // the old code started a worker for a forged launch
        _host.Dispose();
    }

    private static HttpRequestMessage Post(string path, HttpContent? body, string? origin = null, string? referer = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = body };
        if (origin is not null) request.Headers.TryAddWithoutValidation("Origin", origin);
        if (referer is not null) request.Headers.TryAddWithoutValidation("Referer", referer);
        return request;
    }

    private static StringContent Text(JsonNode spec, string mediaType) => new(spec.ToJsonString(), Encoding.UTF8, mediaType);

    private static async Task<string> Error(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonObject>())!["error"]!.GetValue<string>();

    [Fact]
    public async Task ACrossOriginPostIsRefusedAndNothingIsCreated()
    {
        var client = _host.CreateClient();
        var spec = Specs.Tiny("trainer.steps=2");

        // The repro: a valid spec, posted as text/plain from another site (what a no-cors fetch sends).
        var forged = await client.SendAsync(Post("/api/runs", Text(spec, "text/plain"), origin: "http://evil.example"));
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        Assert.Contains("cross-site request refused: it comes from Origin 'http://evil.example'", await Error(forged));

        // The right content type does not make another site's request acceptable.
        Assert.Equal(HttpStatusCode.Forbidden, (await client.SendAsync(Post("/api/runs", Specs.Json(spec), origin: "http://evil.example"))).StatusCode);
        // A file:// page or a sandboxed frame: Origin null.
        Assert.Equal(HttpStatusCode.Forbidden, (await client.SendAsync(Post("/api/runs", Specs.Json(spec), origin: "null"))).StatusCode);
        // Same host, other port: another origin.
        Assert.Equal(HttpStatusCode.Forbidden, (await client.SendAsync(Post("/api/runs", Specs.Json(spec), origin: "http://localhost:6666"))).StatusCode);
        // No Origin, but a foreign Referer.
        Assert.Equal(HttpStatusCode.Forbidden, (await client.SendAsync(Post("/api/runs", Specs.Json(spec), referer: "http://evil.example/page.html"))).StatusCode);
        // A body-less change (cancel) and an upload from another site.
        Assert.Equal(HttpStatusCode.Forbidden, (await client.SendAsync(Post("/api/runs/x/cancel", null, origin: "http://evil.example"))).StatusCode);
        var upload = new MultipartFormDataContent { { new ByteArrayContent([1, 2, 3]), "file", "cat.png" } };
        Assert.Equal(HttpStatusCode.Forbidden, (await client.SendAsync(Post("/api/runs/x/maps/uploads", upload, origin: "http://evil.example"))).StatusCode);

        // Without an Origin (curl), a text or form body is still refused by a JSON API: 415 naming the fix.
        var text = await client.SendAsync(Post("/api/runs", Text(spec, "text/plain")));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, text.StatusCode);
        Assert.Contains("Content-Type: application/json", await Error(text));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType,
            (await client.SendAsync(Post("/api/runs", Text(spec, "application/x-www-form-urlencoded")))).StatusCode);

        Assert.Empty(_host.Store.List());
    }

    [Fact]
    public async Task TheSameOriginAndCurlWithoutAnOriginStillReachTheApi()
    {
        var client = _host.CreateClient(); // http://localhost
        var bad = Specs.Tiny("optimizer.lr=-1"); // refused by validation, i.e. past the guard, and nothing starts

        Assert.Equal(HttpStatusCode.BadRequest, (await client.SendAsync(Post("/api/runs", Specs.Json(bad), origin: "http://localhost"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.SendAsync(Post("/api/runs", Specs.Json(bad), referer: "http://localhost/experiments/new"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.SendAsync(Post("/api/runs", Specs.Json(bad)))).StatusCode);
        var json = new StringContent(bad.ToJsonString(), new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" });
        Assert.Equal(HttpStatusCode.BadRequest, (await client.SendAsync(Post("/api/runs", json))).StatusCode);
        // A body-less POST (curl -X POST) needs no content type.
        Assert.Equal(HttpStatusCode.NotFound, (await client.SendAsync(Post("/api/runs/x/cancel", null))).StatusCode);
        // Reads are not checked.
        var read = new HttpRequestMessage(HttpMethod.Get, "/api/runs");
        read.Headers.TryAddWithoutValidation("Origin", "http://evil.example");
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(read)).StatusCode);
    }

    [Fact]
    public async Task ATrustedOriginMaySendChanges()
    {
        using var host = new PortalHost(PortalHost.NewDataDir(), settings: new Dictionary<string, string?> { ["ScottLab:TrustedOrigins:0"] = "https://lab.example.org" });
        var client = host.CreateClient();
        var bad = Specs.Json(Specs.Tiny("optimizer.lr=-1"));
        Assert.Equal(HttpStatusCode.BadRequest, (await client.SendAsync(Post("/api/runs", bad, origin: "https://lab.example.org"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.SendAsync(Post("/api/runs", Specs.Json(Specs.Tiny("optimizer.lr=-1")), origin: "http://lab.example.org"))).StatusCode);
    }

    [Fact]
    public async Task AForeignHostIsRefusedSoDnsRebindingGetsNowhere()
    {
        var evil = _host.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("http://evil.example") });
        var page = await evil.GetAsync("/");
        Assert.Equal(HttpStatusCode.BadRequest, page.StatusCode);
        Assert.Contains("Invalid Hostname", await page.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, (await evil.PostAsync("/api/runs", Specs.Json(Specs.Tiny("trainer.steps=2")))).StatusCode);
        Assert.Empty(_host.Store.List());

        foreach (var own in new[] { "http://localhost", "http://127.0.0.1:5080", "http://[::1]:5080" })
        {
            var client = _host.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri(own) });
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/runs")).StatusCode);
        }
    }

    [Fact]
    public async Task AllowedHostsIsASetting()
    {
        using var host = new PortalHost(PortalHost.NewDataDir(), settings: new Dictionary<string, string?> { ["AllowedHosts"] = "lab.example.org" });
        var named = host.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("http://lab.example.org") });
        Assert.Equal(HttpStatusCode.OK, (await named.GetAsync("/api/runs")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await host.CreateClient().GetAsync("/api/runs")).StatusCode); // localhost is not in the list now
    }

    [Fact]
    public void AllowedHostsFollowTheListeningAddresses()
    {
        Assert.Equal(["localhost", "127.0.0.1", "[::1]"], AllowedHostsSetup.FromUrls(["http://127.0.0.1:5080"]));
        Assert.Equal(["localhost", "127.0.0.1", "[::1]"], AllowedHostsSetup.FromUrls(["http://[::1]:5080", "http://localhost:5081"]));
        Assert.Equal(["localhost", "127.0.0.1", "[::1]", "10.1.2.3", "lab.example.org"],
            AllowedHostsSetup.FromUrls(["http://10.1.2.3:5080", "https://lab.example.org"]));
        var everywhere = AllowedHostsSetup.FromUrls(["http://0.0.0.0:5080"]);
        Assert.Contains(System.Net.Dns.GetHostName(), everywhere);
        Assert.DoesNotContain("*", everywhere);
        Assert.Contains(System.Net.Dns.GetHostName(), AllowedHostsSetup.FromUrls(["http://*:5080"]));
    }
}

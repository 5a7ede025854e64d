using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Scott.Lab.Engine.Analysis;
using Scott.Lab.Runs;
using Scott.Lab.Tests.Shared;
using Scott.Lab.Web.Tests.Integration;

namespace Scott.Lab.Web.Tests.Maps;

/// <summary>
/// Issue 15, item 1, through an upload: a 60000×60000 header-only PNG is refused from its header with a one-line
/// 400 naming its size, nothing is stored, and the portal keeps serving. The limits are settings.
/// </summary>
public sealed class MapUploadLimitTests
{
    private static async Task<(HttpStatusCode Status, string Body)> Upload(HttpClient client, string runId, byte[] bytes, string name)
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(file, "file", name);
        var response = await client.PostAsync($"/api/runs/{runId}/maps/uploads", form);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_decompression_bomb_upload_is_a_one_line_400_and_nothing_is_stored()
    {
        using var host = new PortalHost(PortalHost.NewDataDir());
        var client = host.CreateClient();
        var run = host.Store.Create(new RunRecord { Name = "maps", Status = RunStatus.Completed });

        var (status, body) = await Upload(client, run.Id, BombPng.Create(), "bomb.png");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        string error = (string)JsonNode.Parse(body)!["error"]!;
        Assert.Equal("file: cannot read image 'bomb.png': the image is 60000×60000 pixels (3600 Mpx), over the limit of 8192 pixels a side and 64 Mpx; downscale it first.", error);
        Assert.False(Directory.Exists(Path.Combine(host.DataDir, "uploads")) && Directory.EnumerateFiles(Path.Combine(host.DataDir, "uploads")).Any());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/runs")).StatusCode); // still serving
    }

    [Fact]
    public async Task The_upload_limits_are_settings()
    {
        using var host = new PortalHost(PortalHost.NewDataDir(), settings: new Dictionary<string, string?>
        {
            ["ScottLab:MaxUploadImageSide"] = "32",
        });
        var client = host.CreateClient();
        var run = host.Store.Create(new RunRecord { Name = "maps", Status = RunStatus.Completed });

        var (status, body) = await Upload(client, run.Id, MapImaging.EncodePng(RgbPixels.Filled(40, 30, 90)), "wide.png");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("the image is 40×30 pixels (0.01 Mpx), over the limit of 32 pixels a side and 64 Mpx", (string)JsonNode.Parse(body)!["error"]!);

        (status, body) = await Upload(client, run.Id, MapImaging.EncodePng(RgbPixels.Filled(32, 30, 90)), "fits.png");
        Assert.True(status == HttpStatusCode.Created, body);
    }
}

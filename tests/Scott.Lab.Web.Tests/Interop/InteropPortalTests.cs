using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Bunit;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.Extensions.DependencyInjection;
using Scott.Lab.Engine.Interop;
using Scott.Lab.Runs;
using Scott.Lab.Tests.Shared;
using Scott.Lab.Web.Features.Interop;
using Scott.Lab.Web.Features.Runs;
using Scott.Lab.Web.Hosting;
using Scott.Lab.Web.Tests.Components;
using Scott.Lab.Web.Tests.Integration;
using static TorchSharp.torch;

namespace Scott.Lab.Web.Tests.Interop;

/// <summary>Weights for the tests: a one-block plain ViT on the 28 px Fashion-MNIST sample, in the reference's key names.</summary>
public static class VitWeights
{
    public const string Config = InteropConfigs.TinyVit;

    public static byte[] Safetensors()
    {
        var args = new ReferenceModelArgs("vit", 28, 7, 1, 32, 1, 2, 4.0, 0, "swiglu", 0, 0, 0, 1);
        manual_seed(1);
        var tensors = ReferenceLayout.Encoder(args)
            .Select(e => new KeyValuePair<string, Tensor>(e.Reference,
                e.Kind == LayoutKind.FixedPositionEmbedding ? ReferenceLayout.PositionEmbedding(args, 0) : randn(e.Shape) * 0.05))
            .ToList();
        string file = Path.Combine(Path.GetTempPath(), "scott-lab-tests", $"vit-{Guid.NewGuid():N}.safetensors");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        WeightsFile.Save(file, tensors, WeightsFormat.Safetensors);
        var bytes = File.ReadAllBytes(file);
        File.Delete(file);
        return bytes;
    }
}

/// <summary>POST /api/runs/import and GET /api/runs/{id}/embeddings.zip on a portal of its own.</summary>
public sealed class InteropApiTests : IDisposable
{
    private readonly PortalHost _host = new(PortalHost.NewDataDir());

    public void Dispose() => _host.Dispose();

    private static MultipartFormDataContent Form(byte[] weights, string? config = VitWeights.Config, string name = "from-api")
    {
        var form = new MultipartFormDataContent { { new ByteArrayContent(weights), "weights", "vit.safetensors" }, { new StringContent(name), "name" } };
        if (config is not null) form.Add(new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(config)), "config", "config.yaml");
        return form;
    }

    [Fact]
    public async Task ImportedWeightsBecomeAnImportedRunWithEmbeddingsToDownload()
    {
        var client = _host.CreateClient();
        byte[] sentBytes = VitWeights.Safetensors();
        var response = await client.PostAsync("/api/runs/import", Form(sentBytes));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var run = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("Imported", run["status"]!.GetValue<string>());
        Assert.Equal("from-api", run["name"]!.GetValue<string>());
        string id = run["id"]!.GetValue<string>();
        Assert.Single((await client.GetFromJsonAsync<JsonArray>("/api/runs?status=imported"))!);

        var zip = await client.GetAsync($"/api/runs/{id}/embeddings.zip?split=test&limit=5");
        Assert.True(zip.StatusCode == HttpStatusCode.OK, await zip.Content.ReadAsStringAsync());
        Assert.Equal("application/zip", zip.Content.Headers.ContentType!.MediaType);
        using var archive = new ZipArchive(await zip.Content.ReadAsStreamAsync());
        Assert.Equal(["embeddings.json", "embeddings.safetensors", "metadata.tsv", "tensors.tsv"], archive.Entries.Select(e => e.FullName).Order());
        using var reader = new StreamReader(archive.GetEntry("metadata.tsv")!.Open());
        var lines = (await reader.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(6, lines.Length);
        Assert.StartsWith("test-0\t", lines[1]);

        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync($"/api/runs/{id}/embeddings.zip?split=holdout")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/runs/nope/embeddings.zip")).StatusCode);

        // Exported again with the automatic names: the reference can express this ViT, so its keys are the
        // reference's, and the weights come back as they went in.
        var export = await client.GetAsync($"/api/runs/{id}/export.zip");
        Assert.True(export.StatusCode == HttpStatusCode.OK, await export.Content.ReadAsStringAsync());
        using var exported = new ZipArchive(await export.Content.ReadAsStreamAsync());
        var weights = Assert.Single(exported.Entries, e => e.FullName.EndsWith(".safetensors", StringComparison.Ordinal));
        Assert.DoesNotContain("own-names", weights.FullName);
        using (var sidecar = new StreamReader(exported.GetEntry(weights.FullName + ".json")!.Open()))
            Assert.Equal("reference", JsonNode.Parse(await sidecar.ReadToEndAsync())!["key_names"]!.GetValue<string>());
        string back = Path.Combine(Path.GetTempPath(), "scott-lab-tests", $"back-{Guid.NewGuid():N}.safetensors");
        weights.ExtractToFile(back);
        string original = back + ".in.safetensors";
        File.WriteAllBytes(original, sentBytes);
        var sent = WeightsFile.Load(original).ToDictionary(kv => kv.Key, kv => kv.Value);
        var received = WeightsFile.Load(back).ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal(sent.Keys.Order(), received.Keys.Order());
        foreach (var (key, tensor) in sent)
            Assert.True(TensorAssert.Same(tensor, received[key]), $"{key} changed on the way through the portal");
        File.Delete(back);
        File.Delete(original);
    }

    [Fact]
    public async Task ABadFileIsA400ThatNamesTheProblemAndAddsNoRun()
    {
        var client = _host.CreateClient();
        var whole = VitWeights.Safetensors();
        var response = await client.PostAsync("/api/runs/import", Form(whole[..^64]));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("truncated", (await response.Content.ReadFromJsonAsync<JsonObject>())!["error"]!.GetValue<string>());
        var noConfig = await client.PostAsync("/api/runs/import", Form(whole, config: null));
        Assert.Equal(HttpStatusCode.BadRequest, noConfig.StatusCode);
        Assert.Contains("configuration", await noConfig.Content.ReadAsStringAsync());
        Assert.Empty(_host.Store.List());
    }

    [Fact]
    public async Task ImportIsBehindTheAdminGate()
    {
        using var host = new PortalHost(PortalHost.NewDataDir(), listenBeyondLoopback: "http://0.0.0.0:5080", adminKey: "s3cret");
        var client = host.CreateClient();
        var refused = await client.PostAsync("/api/runs/import", Form(VitWeights.Safetensors()));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Empty(host.Store.List());
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/runs/import") { Content = Form(VitWeights.Safetensors()) };
        request.Headers.Add(AdminGate.HeaderName, "s3cret");
        Assert.Equal(HttpStatusCode.Created, (await client.SendAsync(request)).StatusCode);

        // A form post from another site is refused by its Origin, key or not.
        var foreign = new HttpRequestMessage(HttpMethod.Post, "/api/runs/import") { Content = Form(VitWeights.Safetensors()) };
        foreign.Headers.Add(AdminGate.HeaderName, "s3cret");
        foreign.Headers.Add("Origin", "https://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, (await client.SendAsync(foreign)).StatusCode);
        Assert.Single(host.Store.List());
    }
}

/// <summary>The Runs page's Import weights panel and the Imported status in the list.</summary>
public sealed class ImportWeightsPanelTests : PortalComponentTest
{
    public ImportWeightsPanelTests() => Services.AddSingleton<InteropService>();

    [Fact]
    public void UploadingWeightsAndAConfigImportsARunAndListsIt()
    {
        RenderPopoverProvider();
        var page = Render<RunsPage>();
        Assert.Empty(page.FindAll("[data-testid=import-panel]"));
        page.Find("[data-testid=import-weights-toggle]").Click();
        var inputs = page.FindComponents<InputFile>();
        inputs.Single(i => i.Instance.AdditionalAttributes!["data-testid"].ToString() == "import-weights")
            .UploadFiles(InputFileContent.CreateFromBinary(VitWeights.Safetensors(), "vit.safetensors"));
        inputs.Single(i => i.Instance.AdditionalAttributes!["data-testid"].ToString() == "import-config")
            .UploadFiles(InputFileContent.CreateFromText(VitWeights.Config, "config.yaml"));
        page.Find("[data-testid=import-submit]").Click();
        page.WaitForAssertion(() => Assert.Contains("Imported as", page.Find("[data-testid=import-result]").TextContent), TimeSpan.FromSeconds(60));
        var run = Assert.Single(Store.List());
        Assert.Equal(RunStatus.Imported, run.Status);
        Assert.Equal("vit", run.Name);
        page.WaitForAssertion(() => Assert.Contains("Imported", page.Find($"[data-testid=run-row-{run.Id}]").TextContent));
    }

    [Fact]
    public void AFileThatDoesNotFitIsShownAndNothingIsAdded()
    {
        RenderPopoverProvider();
        var page = Render<RunsPage>();
        page.Find("[data-testid=import-weights-toggle]").Click();
        var inputs = page.FindComponents<InputFile>();
        inputs.Single(i => i.Instance.AdditionalAttributes!["data-testid"].ToString() == "import-weights")
            .UploadFiles(InputFileContent.CreateFromBinary(VitWeights.Safetensors()[..100], "cut.safetensors"));
        inputs.Single(i => i.Instance.AdditionalAttributes!["data-testid"].ToString() == "import-config")
            .UploadFiles(InputFileContent.CreateFromText(VitWeights.Config, "config.yaml"));
        page.Find("[data-testid=import-submit]").Click();
        page.WaitForAssertion(() => Assert.Contains("truncated", page.Find("[data-testid=import-result]").TextContent), TimeSpan.FromSeconds(60));
        Assert.Empty(Store.List());
    }
}

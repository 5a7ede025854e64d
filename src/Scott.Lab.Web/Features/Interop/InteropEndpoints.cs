using Scott.Lab.Web.Hosting;
using static Scott.Lab.Web.Hosting.ApiResults;

namespace Scott.Lab.Web.Features.Interop;

/// <summary>
/// <c>POST /api/runs/import</c> (multipart: <c>weights</c>, and <c>sidecar</c> and/or <c>config</c>, optional <c>name</c>;
/// admin gate) → 201 with the new run; <c>GET /api/runs/{id}/embeddings.zip?split=test&amp;limit=1000&amp;tokens=false&amp;checkpoint=</c>.
/// </summary>
public static class InteropEndpoints
{
    public static IServiceCollection AddInterop(this IServiceCollection services) => services.AddSingleton<InteropService>().AddSingleton<WeightsExport>();

    public static IEndpointRouteBuilder MapInteropEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/runs/import", async (HttpContext context, InteropService interop, AdminGate gate) =>
        {
            if (Refused(context, gate) is { } refusal) return refusal;
            if (!context.Request.HasFormContentType)
                return Error(StatusCodes.Status400BadRequest, "Send multipart/form-data with a 'weights' file and a 'sidecar' (JSON) and/or 'config' (YAML) file.");
            // The encoder of the paper's run is ~90 MB: lift Kestrel's and the form reader's limits to the weights limit.
            long allowed = interop.MaxWeightsBytes + (1 << 20);
            if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
                limit.MaxRequestBodySize = allowed;
            context.Features.Set<Microsoft.AspNetCore.Http.Features.IFormFeature>(new Microsoft.AspNetCore.Http.Features.FormFeature(context.Request,
                new Microsoft.AspNetCore.Http.Features.FormOptions { MultipartBodyLengthLimit = allowed }));
            var form = await context.Request.ReadFormAsync(context.RequestAborted);
            var weights = form.Files["weights"];
            if (weights is null || weights.Length == 0) return Error(StatusCodes.Status400BadRequest, "weights: no file (a .safetensors file or a torch.save'd state dict).");
            if (weights.Length > interop.MaxWeightsBytes)
                return Error(StatusCodes.Status413PayloadTooLarge, $"weights: {weights.Length / (1024.0 * 1024.0):0.#} MB is over the limit of {interop.MaxWeightsBytes / (1024 * 1024)} MB (ScottLab:MaxWeightsUploadMegabytes).");
            try
            {
                await using var stream = weights.OpenReadStream();
                var imported = await interop.ImportAsync(weights.FileName, stream, await Text(form.Files["sidecar"]), await Text(form.Files["config"]),
                    form["name"].FirstOrDefault(), context.RequestAborted);
                context.Response.Headers.Location = $"/api/runs/{imported.Run.Id}";
                return Results.Json(imported.Run, Json, statusCode: StatusCodes.Status201Created);
            }
            catch (InteropRequestException e)
            {
                return Error(StatusCodes.Status400BadRequest, e.Message);
            }
        }).DisableAntiforgery()
          .WithMetadata(CrossSiteGuard.AcceptsForms); // an upload; cross-site posts are still refused by their Origin

        app.MapGet("/api/runs/{id}/embeddings.zip", async (string id, string? split, int? limit, bool? tokens, string? checkpoint, InteropService interop, CancellationToken cancel) =>
        {
            try
            {
                var (zip, name) = await interop.EmbeddingsAsync(id, split ?? "test", limit ?? InteropService.DefaultEmbeddingLimit, tokens ?? false, checkpoint, cancel);
                return Results.File(zip, "application/zip", name);
            }
            catch (InteropRequestException e)
            {
                return Error(e.NotFound ? StatusCodes.Status404NotFound : StatusCodes.Status400BadRequest, e.Message);
            }
        });
        return app;
    }

    private static async Task<string?> Text(IFormFile? file)
    {
        if (file is null || file.Length == 0) return null;
        using var reader = new StreamReader(file.OpenReadStream());
        return await reader.ReadToEndAsync();
    }
}

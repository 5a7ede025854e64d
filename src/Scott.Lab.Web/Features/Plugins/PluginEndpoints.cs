using Scott.Lab.Web.Hosting;

namespace Scott.Lab.Web.Features.Plugins;

/// <summary>
/// <c>GET /api/plugins</c>: every plugin the portal knows, and every plugin file that failed with its error. A loaded
/// file replaced or removed on disk keeps its status and hash (that version stays in use) and says so in
/// <c>pendingRestart</c>, as the Plugins page does.
/// </summary>
public static class PluginEndpoints
{
    public static IEndpointRouteBuilder MapPluginEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/plugins", (PortalPlugins plugins) => Results.Json(
            plugins.Catalog.Entries.Select(e => new
            {
                pendingRestart = plugins.PendingRestart.FirstOrDefault(p => p.Path == e.AssemblyPath)?.Message,
                kind = e.Kind?.ToString().ToLowerInvariant(), // as configs name them: tokenizer, objective, dataset
                id = e.Id,
                version = e.Version,
                status = e.Status,
                error = e.Error,
                file = e.AssemblyPath,
                sha256 = e.Sha256,
                displayName = e.DisplayName,
                description = e.Description,
            }),
            ApiResults.Json));
        return app;
    }
}

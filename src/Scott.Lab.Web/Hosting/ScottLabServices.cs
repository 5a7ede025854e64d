using Microsoft.Extensions.Options;
using Scott.Lab.Runs;
using Scott.Lab.Web.Features.Experiments;
using Scott.Lab.Web.Features.Compare;
using Scott.Lab.Web.Features.Ingest;
using Scott.Lab.Web.Features.Interop;
using Scott.Lab.Web.Features.Maps;
using Scott.Lab.Web.Features.Plugins;
using Scott.Lab.Web.Features.Runs;
using Scott.Lab.Web.Features.Sessions;
using Scott.Lab.Web.Features.Sweeps;

namespace Scott.Lab.Web.Hosting;

/// <summary>Registers the portal's services and endpoints; each feature folder adds its own here.</summary>
public static class ScottLabServices
{
    public static IServiceCollection AddScottLab(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<PortalPaths>();
        services.AddSingleton(sp => new Presets(sp.GetRequiredService<PortalPaths>().ContentRoot)).AddScoped<Components.Forms.AdminKeyHolder>();
        services.AddSingleton<RunStoreOpener>().AddSingleton(sp => sp.GetRequiredService<RunStoreOpener>().Open());
        services.AddSingleton<PortalPlugins>();
        services.AddPluginWatcherAndUploads();
        services.AddSingleton<AdminGate>();
        services.AddMaps();
        services.AddInterop();
        services.AddIngest();
        services.AddSingleton(sp => new Runs.Snapshots.SnapshotStore(sp.GetRequiredService<RunStore>())).AddSingleton<CompareService>().AddHostedService<MetricDigestWarmer>();
        services.AddSingleton<WorkerCommandLine>().AddSingleton<LocalExecutor>().AddSingleton<SlurmExecutor>();
        services.AddSingleton<SweepLauncher>();
        services.AddSingleton<SessionManager>().AddSingleton<IRunLauncher>(sp => sp.GetRequiredService<SessionManager>()).AddHostedService(sp => sp.GetRequiredService<SessionManager>());
        return services;
    }

    public static WebApplication MapScottLab(this WebApplication app)
    {
        app.MapRunEndpoints();
        app.MapSweepEndpoints();
        app.MapPluginEndpoints();
        app.MapMapEndpoints();
        app.MapCompareEndpoints();
        app.MapInteropEndpoints();
        app.MapIngestEndpoints();
        return app;
    }
}

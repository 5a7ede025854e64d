using Microsoft.Extensions.Options;
using Scott.Lab.Runs;
using Scott.Lab.Web.Plugins;

namespace Scott.Lab.Web.Hosting;

/// <summary>Registers the portal's services and endpoints; each feature folder adds its own here.</summary>
public static class ScottLabServices
{
    public static IServiceCollection AddScottLab(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<PortalPaths>();
        services.AddSingleton(sp => new RunStore(sp.GetRequiredService<PortalPaths>().DataDir));
        services.AddSingleton<PortalPlugins>();
        services.AddPluginWatcherAndUploads();
        services.AddSingleton<AdminGate>();
        return services;
    }

    public static WebApplication MapScottLab(this WebApplication app)
    {
        return app;
    }
}

namespace Scott.Lab.Web.Features.Plugins;

public static class PluginServices
{
    /// <summary>The folder watcher (a hosted service, also injectable to show what it watches) and the uploader.</summary>
    public static IServiceCollection AddPluginWatcherAndUploads(this IServiceCollection services)
    {
        services.AddSingleton<PluginFolderWatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<PluginFolderWatcher>());
        services.AddSingleton<PluginUploader>();
        return services;
    }
}

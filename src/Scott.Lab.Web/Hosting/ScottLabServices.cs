namespace Scott.Lab.Web.Hosting;

/// <summary>Registers the portal's services and endpoints; each feature folder adds its own here.</summary>
public static class ScottLabServices
{
    public static IServiceCollection AddScottLab(this IServiceCollection services, IConfiguration configuration)
    {
        return services;
    }

    public static WebApplication MapScottLab(this WebApplication app)
    {
        return app;
    }
}

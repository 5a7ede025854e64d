using Microsoft.AspNetCore.HostFiltering;
using Microsoft.Extensions.Options;
using MudBlazor.Services;
using Scott.Lab.Web.Components;
using Scott.Lab.Web.Hosting;

// The root appsettings.json and wwwroot/ are the portal's (shared with the CLI): no second copies in this project.
string root = RepositoryRoot.Find();
var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    ContentRootPath = root,
    WebRootPath = Path.Combine(root, "wwwroot"),
});
builder.WebHost.UseStaticWebAssets(); // MudBlazor's CSS/JS, in every environment
if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
    builder.WebHost.UseUrls(AllowedHostsSetup.DefaultUrl); // loopback by default: see PortalOptions.AdminKey

builder.Services.Configure<PortalOptions>(builder.Configuration.GetSection(PortalOptions.Section));
// Host checks (DNS rebinding): the built-in host filtering, with AllowedHosts following the listening addresses.
builder.Services.AddSingleton<IConfigureOptions<HostFilteringOptions>, AllowedHostsSetup>();
builder.Services.AddRazorComponents().AddInteractiveServerComponents();
builder.Services.AddMudServices();
builder.Services.AddScottLab(builder.Configuration);

var app = builder.Build();
app.Logger.LogInformation("Answering requests for the hosts {Hosts} (the setting AllowedHosts changes them)",
    string.Join(", ", app.Services.GetRequiredService<IOptions<HostFilteringOptions>>().Value.AllowedHosts));
app.UseStaticFiles();
app.UseMiddleware<CrossSiteGuard>(); // Origin/Referer and JSON-only checks for changes (CSRF)
app.UseAntiforgery();
app.MapScottLab();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
app.Run();

/// <summary>For WebApplicationFactory in the tests.</summary>
public partial class Program;

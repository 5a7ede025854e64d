using Microsoft.AspNetCore.Mvc.Testing;

namespace Scott.Lab.Web.Tests;

public sealed class PortalSmokeTests(WebApplicationFactory<Program> factory) : IClassFixture<WebApplicationFactory<Program>>
{
    [Fact]
    public async Task TheDashboardRendersWithMudBlazorAssets()
    {
        var client = factory.CreateClient();
        string html = await client.GetStringAsync("/");
        Assert.Contains("Scott.Lab", html);
        var css = await client.GetAsync("/_content/MudBlazor/MudBlazor.min.css");
        Assert.True(css.IsSuccessStatusCode, $"MudBlazor CSS: {css.StatusCode}");
    }
}

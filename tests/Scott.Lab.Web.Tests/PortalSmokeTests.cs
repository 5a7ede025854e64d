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

    [Fact]
    public async Task EveryPageNamesAnIconThatIsServed()
    {
        var client = factory.CreateClient();
        string html = await client.GetStringAsync("/");
        Assert.Contains("<link rel=\"icon\" type=\"image/svg+xml\" href=\"favicon.svg\"", html); // else browsers ask for /favicon.ico: a 404 on every page
        var icon = await client.GetAsync("/favicon.svg");
        Assert.True(icon.IsSuccessStatusCode, $"favicon.svg: {icon.StatusCode}");
        Assert.Equal("image/svg+xml", icon.Content.Headers.ContentType?.MediaType);
    }
}

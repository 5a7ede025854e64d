using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.Extensions.Options;

namespace Scott.Lab.Web.Hosting;

/// <summary>
/// Which <c>Host</c> headers the portal answers (ASP.NET Core's host filtering middleware; a refused request gets 400
/// "Invalid Hostname"). This is what stops DNS rebinding: a web page whose name was re-pointed at 127.0.0.1 still sends
/// its own name as the Host. The setting <c>AllowedHosts</c> (semicolon-separated, <c>*</c> for any) wins; without it the
/// hosts follow the addresses the portal listens on:
/// <list type="bullet">
/// <item>loopback (the default): <c>localhost</c>, <c>127.0.0.1</c>, <c>[::1]</c>;</item>
/// <item>a named host or address: that name, plus the loopback names;</item>
/// <item>every interface (<c>0.0.0.0</c>, <c>[::]</c>, <c>*</c>): this machine's name and its interface addresses, plus the loopback names.</item>
/// </list>
/// Reading the final configuration when the options are first used (not at start-up) lets a test or an environment
/// variable set <c>AllowedHosts</c> or <c>urls</c> like any other setting.
/// </summary>
public sealed class AllowedHostsSetup(IConfiguration configuration) : IConfigureOptions<HostFilteringOptions>
{
    public const string DefaultUrl = "http://127.0.0.1:5080";
    private static readonly string[] Loopback = ["localhost", "127.0.0.1", "[::1]"];

    public void Configure(HostFilteringOptions options)
    {
        options.AllowedHosts = Resolve(configuration);
        options.AllowEmptyHosts = true; // HTTP/1.0 clients may send no Host; browsers always send one
        options.IncludeFailureMessage = true;
    }

    /// <summary><c>AllowedHosts</c> when set, else the hosts of the listening URLs.</summary>
    public static List<string> Resolve(IConfiguration configuration)
    {
        string? configured = configuration["AllowedHosts"];
        if (!string.IsNullOrWhiteSpace(configured))
            return configured.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        var urls = new List<string>();
        foreach (var key in new[] { "urls", "ASPNETCORE_URLS", "URLS" })
            if (configuration[key] is { Length: > 0 } value) { urls.AddRange(value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)); break; }
        foreach (var endpoint in configuration.GetSection("Kestrel:Endpoints").GetChildren())
            if (endpoint["Url"] is { Length: > 0 } url) urls.Add(url);
        if (urls.Count == 0) urls.Add(DefaultUrl);
        return FromUrls(urls);
    }

    /// <summary>The Host names that reach a portal listening on <paramref name="urls"/>.</summary>
    public static List<string> FromUrls(IEnumerable<string> urls)
    {
        var hosts = new List<string>(Loopback);
        foreach (string url in urls)
        {
            string host = HostOf(url);
            if (host is "*" or "+" or "0.0.0.0" or "[::]" or "::")
            {
                hosts.Add(Dns.GetHostName());
                hosts.AddRange(InterfaceAddresses());
            }
            else if (host.Length > 0)
            {
                hosts.Add(host);
            }
        }
        return hosts.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }

    /// <summary>The host part of a Kestrel URL (<c>http://*:5080</c>, <c>http://[::1]:5080</c>), as a Host header carries it.</summary>
    private static string HostOf(string url)
    {
        int scheme = url.IndexOf("://", StringComparison.Ordinal);
        string rest = scheme >= 0 ? url[(scheme + 3)..] : url;
        int slash = rest.IndexOf('/');
        if (slash >= 0) rest = rest[..slash];
        if (rest.StartsWith('[')) return rest[..(rest.IndexOf(']') + 1)];
        int colon = rest.LastIndexOf(':');
        return colon >= 0 ? rest[..colon] : rest;
    }

    private static IEnumerable<string> InterfaceAddresses()
    {
        IEnumerable<UnicastIPAddressInformation> addresses;
        try
        {
            addresses = NetworkInterface.GetAllNetworkInterfaces().SelectMany(n => n.GetIPProperties().UnicastAddresses).ToList();
        }
        catch (NetworkInformationException)
        {
            yield break;
        }
        foreach (var address in addresses)
        {
            var ip = address.Address;
            if (ip.AddressFamily == AddressFamily.InterNetwork) yield return ip.ToString();
            else if (ip.AddressFamily == AddressFamily.InterNetworkV6 && !ip.IsIPv6LinkLocal) yield return $"[{ip}]";
        }
    }
}

using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Scott.Lab.Web.Hosting;

/// <summary>
/// Who may change things (launch, cancel, resume, upload plugins, delete). On loopback only, everyone who can reach
/// the portal may. When it listens on any other address, changes need ScottLab:AdminKey (the X-Admin-Key header for
/// the API; typed once per browser session in the UI); with no key configured, the portal is read-only there.
/// </summary>
public sealed class AdminGate(IOptions<PortalOptions> options, IServer server)
{
    public const string HeaderName = "X-Admin-Key";

    /// <summary>True when the portal listens beyond loopback, so that changes need the admin key.</summary>
    public bool KeyRequired => ListeningAddresses().Any(address => !IsLoopback(address));

    public bool Allows(string? key)
    {
        if (!KeyRequired) return true;
        string? expected = options.Value.AdminKey;
        return !string.IsNullOrEmpty(expected) && key is not null
               && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
                   System.Text.Encoding.UTF8.GetBytes(key), System.Text.Encoding.UTF8.GetBytes(expected));
    }

    /// <summary>Why a change was refused, for a 403 body or a UI message.</summary>
    public string RefusalReason => string.IsNullOrEmpty(options.Value.AdminKey)
        ? "This portal listens beyond loopback and has no ScottLab:AdminKey configured, so it is read-only. Set ScottLab__AdminKey to allow changes."
        : $"This portal listens beyond loopback: changes need the admin key (header {HeaderName}, or the key field in the UI).";

    private IEnumerable<string> ListeningAddresses() =>
        server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];

    private static bool IsLoopback(string address)
    {
        if (!Uri.TryCreate(address.Replace("://*", "://0.0.0.0").Replace("://+", "://0.0.0.0"), UriKind.Absolute, out var uri)) return false;
        if (uri.Host is "localhost") return true;
        return IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip);
    }
}

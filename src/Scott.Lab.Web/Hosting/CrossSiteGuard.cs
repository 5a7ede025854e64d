using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Scott.Lab.Web.Hosting;

/// <summary>
/// Cross-site request forgery protection for requests that change things. A browser sends <c>Origin</c> (or at least
/// <c>Referer</c>) with every cross-site POST, including <c>fetch(..., {mode: 'no-cors'})</c> and form posts, so:
/// <list type="bullet">
/// <item>a POST, PUT, PATCH or DELETE (and a WebSocket handshake) whose <c>Origin</c>, or else <c>Referer</c>, is not
/// the portal's own origin (or one of <see cref="PortalOptions.TrustedOrigins"/>) gets 403; <c>Origin: null</c>
/// (a <c>file://</c> page, a sandboxed frame) too;</item>
/// <item>a request with neither header (curl, scripts) passes: it can't come from another site's page;</item>
/// <item>a body sent to <c>/api/</c> must be JSON (415 otherwise): the CORS-"simple" types <c>text/plain</c>,
/// <c>application/x-www-form-urlencoded</c> and <c>multipart/form-data</c> are what a foreign page can send without a
/// CORS preflight. An endpoint that takes an upload says so with <see cref="AcceptsForms"/> and checks its body
/// itself (a form post from another site is still refused by its Origin).</item>
/// </list>
/// Hand-written because ASP.NET Core has no Origin check for token-less APIs: antiforgery needs a token that curl
/// clients don't have (Blazor's own forms keep using it), and the CORS middleware only relaxes the browser's rules,
/// it never refuses a "simple" request.
/// </summary>
public sealed class CrossSiteGuard(RequestDelegate next, IOptions<PortalOptions> options, ILogger<CrossSiteGuard> logger)
{
    /// <summary>Endpoint metadata: this <c>/api/</c> endpoint takes <c>multipart/form-data</c> (an upload) and checks the body's type itself.</summary>
    public sealed class AcceptsFormsMetadata;

    public static readonly AcceptsFormsMetadata AcceptsForms = new();

    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        bool changes = HttpMethods.IsPost(request.Method) || HttpMethods.IsPut(request.Method) || HttpMethods.IsPatch(request.Method)
                       || HttpMethods.IsDelete(request.Method) || context.WebSockets.IsWebSocketRequest;
        if (!changes) return next(context);

        if (CrossSite(request) is { } foreign)
        {
            logger.LogWarning("Refused a cross-site {Method} {Path} from {Origin}", request.Method, request.Path, foreign);
            return Refuse(context, StatusCodes.Status403Forbidden,
                $"cross-site request refused: it comes from {foreign}, not from this portal ({Own(request)}). " +
                "Use the portal's own pages, or call the API without an Origin header (curl, scripts). " +
                $"An origin you trust (e.g. a reverse proxy's https address) can be added to {PortalOptions.Section}:TrustedOrigins.");
        }

        if (request.Path.StartsWithSegments("/api") && HasBody(request) && !IsJson(request.ContentType)
            && context.GetEndpoint()?.Metadata.GetMetadata<AcceptsFormsMetadata>() is null)
        {
            return Refuse(context, StatusCodes.Status415UnsupportedMediaType,
                $"Content-Type '{request.ContentType ?? "(none)"}' is refused: this API takes JSON bodies only. Send the body with " +
                "'Content-Type: application/json' (curl: -H 'Content-Type: application/json'). Text and form bodies are refused " +
                "because any web site can make a browser send them.");
        }
        return next(context);
    }

    /// <summary>The foreign origin a browser says the request comes from, or null when it is this portal's (or unknown).</summary>
    private string? CrossSite(HttpRequest request)
    {
        string? origin = request.Headers.Origin.FirstOrDefault();
        if (origin is not null)
            return SameOrigin(origin, request) ? null : $"Origin '{origin}'";
        string? referer = request.Headers.Referer.FirstOrDefault();
        if (referer is not null)
            return SameOrigin(referer, request) ? null : $"Referer '{referer}'";
        return null; // not sent by a browser
    }

    private bool SameOrigin(string value, HttpRequest request)
    {
        if (value == "null" || !Uri.TryCreate(value, UriKind.Absolute, out var from)) return false;
        if (Matches(from, Own(request))) return true;
        return options.Value.TrustedOrigins.Any(trusted => Uri.TryCreate(trusted, UriKind.Absolute, out var t) && Matches(from, t.GetLeftPart(UriPartial.Authority)));
    }

    private static bool Matches(Uri from, string origin) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var own)
        && string.Equals(from.Scheme, own.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(from.IdnHost, own.IdnHost, StringComparison.OrdinalIgnoreCase)
        && from.Port == own.Port;

    private static string Own(HttpRequest request) => $"{request.Scheme}://{request.Host.Value}";

    private static bool HasBody(HttpRequest request) =>
        request.ContentLength > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);

    private static bool IsJson(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media)
        && (media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || media.SubTypeWithoutSuffix.HasValue && media.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase));

    private static Task Refuse(HttpContext context, int status, string message) =>
        ApiResults.Error(status, message).ExecuteAsync(context);
}

using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Scott.Lab.Engine.Config;
using Scott.Lab.Runs;
using Scott.Lab.Runs.Reporting;

namespace Scott.Lab.Cli.Recording;

/// <summary>The portal refused a request (a 4xx/5xx with its message); <see cref="Status"/> says which.</summary>
public sealed class PortalException(HttpStatusCode status, string message) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;
    /// <summary>A refusal that sending again cannot fix (bad token, unknown run, malformed batch).</summary>
    public bool Permanent => (int)Status is >= 400 and < 500 and not 408 and not 429;
}

/// <summary>
/// The worker's side of the portal's ingest API (<c>/api/ingest/runs/...</c>, see docs/security.md): the run's
/// spec and folder, the atomic claim, and batches of events. Authenticates with the run's token
/// (<c>Authorization: Bearer</c>). Network failures surface as <see cref="HttpRequestException"/> or
/// <see cref="TaskCanceledException"/> (a time-out); refusals as <see cref="PortalException"/>.
/// </summary>
public sealed class PortalClient : IDisposable
{
    /// <summary>The environment variable a portal-started worker finds its token in (not a command-line argument: `ps` shows those).</summary>
    public const string TokenVariable = "SCOTT_LAB_TOKEN";

    private readonly HttpClient _http;

    public PortalClient(string url, string? token, TimeSpan? timeout = null)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new ConfigException($"--portal: '{url}' is not an http(s) URL; give the portal's address, e.g. http://lab-head:5080.");
        Url = uri.ToString().TrimEnd('/');
        _http = new HttpClient { BaseAddress = new Uri(Url + "/"), Timeout = timeout ?? TimeSpan.FromSeconds(30) };
        if (!string.IsNullOrEmpty(token)) _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public string Url { get; }

    /// <summary>
    /// Runs <paramref name="call"/> against the portal and turns its failures into the CLI's errors: unreachable →
    /// an <see cref="IOException"/> naming the portal and <paramref name="neededFor"/>; refused → a
    /// <see cref="ConfigException"/> with the portal's message and <paramref name="refusalHint"/>.
    /// </summary>
    public T Ask<T>(Func<T> call, string neededFor, Func<PortalException, string>? refusalHint = null)
    {
        try
        {
            return call();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            throw new IOException($"--portal: the portal {Url} cannot be reached ({e.Message}); {neededFor}.", e);
        }
        catch (PortalException e)
        {
            throw new ConfigException($"--portal: {e.Message}" + (refusalHint?.Invoke(e) ?? ""));
        }
    }

    /// <summary>Replaces the token (train --portal gets the run's own token once the portal has created it).</summary>
    public void UseToken(string token) => _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

    public IngestRun? GetRun(string runId)
    {
        using var response = Send(HttpMethod.Get, $"api/ingest/runs/{Uri.EscapeDataString(runId)}", null);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        return Read<IngestRun>(response);
    }

    /// <summary>The portal's <see cref="RunClaim.TryClaim"/> for this worker: the claimed run, or why not (409).</summary>
    public (IngestRun? Run, string? Refusal) Claim(string runId, string? claimToken, WorkerIdentity me)
    {
        var attempt = JobAttempt.FromEnvironment(); // a Slurm requeue's next attempt may claim its run again
        var body = new ClaimRequest { ClaimToken = claimToken, Pid = me.Pid, StartedUtc = me.StartedUtc, Host = me.Host, JobId = attempt?.JobId, JobRestart = attempt?.Restart };
        using var response = Send(HttpMethod.Post, $"api/ingest/runs/{Uri.EscapeDataString(runId)}/claim", body);
        if (response.StatusCode == HttpStatusCode.Conflict) return (null, ErrorOf(response));
        return (Read<IngestRun>(response), null);
    }

    /// <summary>Sends events in order; returns the highest sequence the portal has applied for the run.</summary>
    public long PostEvents(string runId, IReadOnlyList<RunEvent> events)
    {
        using var response = Send(HttpMethod.Post, $"api/ingest/runs/{Uri.EscapeDataString(runId)}/events", new RunEventBatch { Events = [.. events] });
        return Read<RunEventAck>(response).Sequence;
    }

    /// <summary>`train --portal`: the portal records a CLI run (with <paramref name="adminKey"/> where it needs one) and gives its token.</summary>
    public CliRunResponse CreateCliRun(CliRunRequest request, string? adminKey)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, "api/ingest/runs") { Content = JsonContent.Create(request, options: RunEvent.Json) };
        if (!string.IsNullOrEmpty(adminKey)) message.Headers.Add("X-Admin-Key", adminKey);
        message.Headers.Authorization = null;
        using var response = _http.Send(message);
        return Read<CliRunResponse>(response);
    }

    /// <summary>`sweep-launch`: POST /api/sweeps (with <paramref name="adminKey"/> where the portal needs one); the queued sweep.</summary>
    public JsonObject CreateSweep(JsonObject body, string? adminKey)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, "api/sweeps") { Content = JsonContent.Create(body) };
        if (!string.IsNullOrEmpty(adminKey)) message.Headers.Add("X-Admin-Key", adminKey);
        using var response = _http.Send(message);
        return Read<JsonObject>(response);
    }

    private HttpResponseMessage Send(HttpMethod method, string path, object? body)
    {
        using var message = new HttpRequestMessage(method, path);
        if (body is not null) message.Content = JsonContent.Create(body, body.GetType(), options: RunEvent.Json);
        return _http.Send(message);
    }

    private T Read<T>(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
            throw new PortalException(response.StatusCode, $"portal {Url}: {(int)response.StatusCode} {response.ReasonPhrase}: {ErrorOf(response)}");
        using var stream = response.Content.ReadAsStream();
        return System.Text.Json.JsonSerializer.Deserialize<T>(stream, RunEvent.Json)
               ?? throw new PortalException(response.StatusCode, $"portal {Url}: an empty answer where a {typeof(T).Name} was expected.");
    }

    private static string ErrorOf(HttpResponseMessage response)
    {
        string text;
        try { text = response.Content.ReadAsStringAsync().GetAwaiter().GetResult(); }
        catch (Exception e) when (e is HttpRequestException or IOException) { return "(no body)"; }
        try
        {
            var answer = JsonNode.Parse(text);
            // A validation problem (400 of POST /api/runs or /api/sweeps): every key with its messages.
            if (answer?["errors"] is JsonObject errors)
                return string.Join("; ", errors.SelectMany(kv => (kv.Value as JsonArray ?? []).Select(m => $"{kv.Key}: {m}")));
            return answer?["error"]?.GetValue<string>() ?? text;
        }
        catch (System.Text.Json.JsonException) { return text.Length > 300 ? text[..300] : text; }
    }

    public void Dispose() => _http.Dispose();
}

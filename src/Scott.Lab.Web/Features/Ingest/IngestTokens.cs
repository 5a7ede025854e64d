using System.Security.Cryptography;
using System.Text;
using Scott.Lab.Runs;

namespace Scott.Lab.Web.Features.Ingest;

/// <summary>What a run's token may do: a training worker reports everything; an `eval` only its evaluations.</summary>
public enum IngestScope { Worker, Evaluation }

/// <summary>
/// Per-run report tokens: 128 random bits, given to the process the portal starts for a run (in its environment) and
/// stored only as a SHA-256 hash on the run, compared in fixed time. A token is valid for its run alone; issuing a new
/// one (the next start of a worker for that run) replaces the old. Not tied to a process, so it survives a requeue of
/// the same Slurm job.
/// </summary>
public sealed class IngestTokens(RunStore store)
{
    /// <summary>Issues a new token for <paramref name="runId"/> (replacing the previous one of its scope); null when there is no such run.</summary>
    public string? Issue(string runId, IngestScope scope)
    {
        string token = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
        string hash = Hash(token);
        var run = store.Update(runId, r =>
        {
            if (scope == IngestScope.Worker) r.ReportTokenHash = hash;
            else r.EvalTokenHash = hash;
        });
        return run is null ? null : token;
    }

    /// <summary>The scope <paramref name="token"/> has on <paramref name="run"/>, or null when it is not one of its tokens.</summary>
    public static IngestScope? Verify(RunRecord run, string token)
    {
        byte[] given = SHA256.HashData(Encoding.UTF8.GetBytes(token));
        // Both are compared whatever the first gives, in fixed time.
        bool worker = Matches(given, run.ReportTokenHash), evaluation = Matches(given, run.EvalTokenHash);
        return worker ? IngestScope.Worker : evaluation ? IngestScope.Evaluation : null;
    }

    public static string Hash(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token))).ToLowerInvariant();

    private static bool Matches(byte[] given, string? storedHex)
    {
        byte[] stored;
        try { stored = string.IsNullOrEmpty(storedHex) ? new byte[32] : Convert.FromHexString(storedHex); }
        catch (FormatException) { stored = new byte[32]; }
        return CryptographicOperations.FixedTimeEquals(given, stored) && !string.IsNullOrEmpty(storedHex);
    }
}

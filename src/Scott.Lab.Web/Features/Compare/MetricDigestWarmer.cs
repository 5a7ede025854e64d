using Scott.Lab.Runs;
using Scott.Lab.Runs.Comparison;

namespace Scott.Lab.Web.Features.Compare;

/// <summary>
/// Digests finished runs' metrics in the background (one run at a time), so that the first comparison of runs that
/// finished a while ago reads a few KB per curve instead of every metrics row (seconds for long runs on a busy
/// 2-core machine). Each run is checked once per process, and again only when it changes (resumed and finished again).
/// </summary>
public sealed class MetricDigestWarmer(RunStore store, ILogger<MetricDigestWarmer> logger) : BackgroundService
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(15);
    private readonly HashSet<string> _done = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var digests = new MetricDigests(store);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Period, stoppingToken);
                foreach (var run in store.List(new RunQuery(Limit: 1000)).Where(r => r.IsFinished))
                {
                    if (stoppingToken.IsCancellationRequested) break;
                    string stamp = $"{run.Id}/{run.Step}/{run.History.Count}";
                    if (_done.Contains(stamp)) continue;
                    digests.For(run);
                    _done.Add(stamp); // only once it worked: a failure is retried next period
                    await Task.Yield();
                }
            }
            catch (OperationCanceledException) { break; }
            catch (Exception e) // a locked or damaged store: try again next period
            {
                logger.LogWarning(e, "Digesting finished runs' metrics failed; comparisons read their rows until it works");
            }
        }
    }
}

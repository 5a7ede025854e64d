using System.Diagnostics;
using Scott.Lab.Engine.Training;

namespace Scott.Lab.Engine.Training;

/// <summary>
/// Live progress of a training run, for a console line or a portal, after each step. <paramref name="Step"/> counts the
/// steps done (1 after the first), as metric rows and checkpoints do. <paramref name="Loss"/> is the loss of the last
/// metrics row (the mean over its log interval; NaN before the first row), so a log line and the row of its step say
/// the same number; <paramref name="Logged"/> is true when this step wrote that row.
/// </summary>
public sealed record TrainingProgress(long Step, long TotalSteps, double Loss, double LearningRate, double ImagesPerSecond, TimeSpan Eta, string? Warning, bool Logged = false);

/// <summary>
/// How a run ended (this invocation). <paramref name="FirstLoss"/> and <paramref name="LastLoss"/> are the losses of the
/// run's first and last metrics rows: the run page's header, its chart's last point, the worker log's last line and
/// the CLI's "loss first -> last" all show these same numbers.
/// </summary>
public sealed record TrainingSummary(long Steps, long TotalSteps, double FirstLoss, double LastLoss, double ImagesPerSecond, double WallSeconds, long ResumedFrom, bool Cancelled)
{
    /// <summary>True when trainer.max_minutes ended the run before its last step.</summary>
    public bool BudgetReached { get; init; }
}

/// <summary>
/// Hears what a run records besides its folder (e.g. the run store): each metrics row as logged to metrics.jsonl
/// (<paramref name="step"/> is the row's <c>step</c>: the number of steps done when it was logged, 1 to TotalSteps,
/// the numbering of checkpoints and of the log's "step N/M"), each checkpoint, and where a resume restarted.
/// </summary>
public interface ITrainingSink
{
    void OnMetrics(long step, IReadOnlyDictionary<string, double> values);
    void OnCheckpoint(long stepsDone, string folder) { }
    /// <summary>A resume re-does the steps after its checkpoint: rows at or after <paramref name="step"/> (the checkpoint's steps done + 1) are logged again.</summary>
    void OnResumed(long step) { }
}

/// <summary>
/// Drives a run: resume, the step loop, metrics rows, checkpoints (periodic, on cancel and at the end) and the
/// summary. Progress is reported after every step; the sink decides how often to show it.
/// </summary>
public sealed class TrainingDriver(AssembledRun run, RunDirectory directory, ITrainingSink? sink = null)
{
    public TrainingSummary Run(bool resume, long? maxSteps, Action<TrainingProgress>? progress, CancellationToken cancel)
    {
        var checkpoints = new Checkpoints(directory.Path);
        using var trainer = new Trainer(run);
        long start = 0;
        double? firstLoss = null;
        double lastLoss = double.NaN;
        if (resume)
        {
            string latest = checkpoints.Latest() ?? throw new InvalidOperationException(
                $"--resume: no checkpoint in {checkpoints.Folder}. Start the run without --resume.");
            start = trainer.Restore(latest);
            // Rows are numbered by steps done: the checkpoint's own row (step == start) stays, later ones are re-done.
            directory.TruncateMetricsFrom(start + 1);
            sink?.OnResumed(start + 1);
            var summary = directory.ReadSummary();
            firstLoss = summary?["first_loss"]?.GetValue<double>();
            lastLoss = summary?["last_loss"]?.GetValue<double>() ?? double.NaN;
        }
        long total = run.TotalSteps;
        long stop = Math.Min(total, maxSteps ?? total);
        var trainerOptions = run.Spec.Trainer;
        int batch = trainerOptions.BatchSize;

        var wall = Stopwatch.StartNew();
        var interval = Stopwatch.StartNew();
        long intervalStart = start, lastSaved = start;
        double intervalLoss = 0;
        bool cancelled = false, budgetReached = false;
        var budget = trainerOptions.MaxMinutes is { } minutes ? TimeSpan.FromMinutes(minutes) : (TimeSpan?)null;
        var checkpointPeriod = trainerOptions.CheckpointMinutes is { } period ? TimeSpan.FromMinutes(period) : (TimeSpan?)null;
        var sinceCheckpoint = Stopwatch.StartNew();
        string? warning = null;
        long step = start;

        // One metrics row, numbered by the steps done (step index + 1); its loss is the mean over the steps since the
        // previous row. This is the one loss every view reports (see TrainingSummary).
        void LogRow(long index, StepResult result, bool withMetrics)
        {
            long done = index + 1, n = done - intervalStart;
            var row = new Dictionary<string, object>
            {
                ["step"] = done,
                ["loss"] = intervalLoss / n,
                ["lr"] = result.LearningRate,
                ["wd"] = result.WeightDecay,
                ["images_per_second"] = n * batch / Math.Max(1e-9, interval.Elapsed.TotalSeconds),
                ["wall_seconds"] = wall.Elapsed.TotalSeconds,
            };
            if (withMetrics)
            {
                foreach (var (name, value) in result.Metrics) row[name] = value;
                warning = Trainer.CollapseWarning(result.Metrics);
            }
            directory.AppendMetrics(row);
            sink?.OnMetrics(done, row.Where(kv => kv.Key != "step").ToDictionary(kv => kv.Key, kv => Convert.ToDouble(kv.Value, System.Globalization.CultureInfo.InvariantCulture)));
            lastLoss = intervalLoss / n;
            firstLoss ??= lastLoss;
            intervalStart = done;
            intervalLoss = 0;
            interval.Restart();
        }

        for (; step < stop; step++)
        {
            // Once the wall-clock budget is spent, this step is the last: it is logged and checkpointed like a final step.
            bool budgetSpent = budget is { } limit && wall.Elapsed >= limit;
            bool log = (step + 1) % trainerOptions.LogEvery == 0 || step == stop - 1 || budgetSpent;
            var result = trainer.Step(step, withMetrics: log);
            intervalLoss += result.Loss;
            double rate = (step + 1 - start) * batch / Math.Max(1e-9, wall.Elapsed.TotalSeconds);
            // A cancelled run's last step gets its row too, so that the last row is always the last step done.
            bool stopping = cancel.IsCancellationRequested;
            if (log || stopping) LogRow(step, result, withMetrics: log);
            var eta = TimeSpan.FromSeconds((stop - step - 1) * batch / Math.Max(1e-9, rate));
            progress?.Invoke(new TrainingProgress(step + 1, total, lastLoss, result.LearningRate, rate, eta, warning, Logged: log || stopping));

            bool byStep = trainerOptions.CheckpointEvery > 0 && (step + 1) % trainerOptions.CheckpointEvery == 0;
            bool byTime = checkpointPeriod is { } every && sinceCheckpoint.Elapsed >= every && step + 1 < stop && !budgetSpent;
            if (byStep || byTime)
            {
                sinceCheckpoint.Restart();
                string saved = trainer.SaveCheckpoint(checkpoints, step + 1); // saved whether or not there is a sink
                sink?.OnCheckpoint(step + 1, saved);
                lastSaved = step + 1;
                // A checkpoint before the first row has no loss to report yet: the summary waits for one (JSON has no NaN).
                if (firstLoss is not null) WriteSummary(step + 1, firstLoss, lastLoss, wall, start, cancelled: false);
            }
            if (stopping)
            {
                cancelled = true;
                step++;
                break;
            }
            if (budgetSpent)
            {
                budgetReached = step + 1 < stop;
                step++;
                break;
            }
        }
        if (step != lastSaved || start == step)
        {
            string saved = trainer.SaveCheckpoint(checkpoints, step);
            sink?.OnCheckpoint(step, saved);
        }
        return WriteSummary(step, firstLoss, lastLoss, wall, start, cancelled, budgetReached);
    }

    private TrainingSummary WriteSummary(long steps, double? firstLoss, double lastLoss, Stopwatch wall, long start, bool cancelled, bool budgetReached = false)
    {
        // The first and last rows' losses (each a mean over its log interval): the numbers the charts and the log show.
        double first = firstLoss ?? double.NaN, last = lastLoss;
        double seconds = wall.Elapsed.TotalSeconds;
        var summary = new TrainingSummary(steps, run.TotalSteps, first, last,
            (steps - start) * run.Spec.Trainer.BatchSize / Math.Max(1e-9, seconds), seconds, start, cancelled) { BudgetReached = budgetReached };
        directory.WriteJson(directory.SummaryFile, summary);
        return summary;
    }
}

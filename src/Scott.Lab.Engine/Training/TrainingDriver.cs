using System.Diagnostics;
using Scott.Lab.Engine.Training;

namespace Scott.Lab.Engine.Training;

/// <summary>Live progress of a training run, for a console line or a portal.</summary>
public sealed record TrainingProgress(long Step, long TotalSteps, double Loss, double LearningRate, double ImagesPerSecond, TimeSpan Eta, string? Warning);

/// <summary>How a run ended (this invocation).</summary>
public sealed record TrainingSummary(long Steps, long TotalSteps, double FirstLoss, double LastLoss, double ImagesPerSecond, double WallSeconds, long ResumedFrom, bool Cancelled)
{
    /// <summary>True when trainer.max_minutes ended the run before its last step.</summary>
    public bool BudgetReached { get; init; }
}

/// <summary>
/// Hears what a run records besides its folder (e.g. the run store): each metrics row as logged to metrics.jsonl
/// (<paramref name="step"/> is the row's <c>step</c>), each checkpoint, and where a resume restarted.
/// </summary>
public interface ITrainingSink
{
    void OnMetrics(long step, IReadOnlyDictionary<string, double> values);
    void OnCheckpoint(long stepsDone, string folder) { }
    /// <summary>A resume restarts at <paramref name="step"/>: rows at or after it are logged again.</summary>
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
        if (resume)
        {
            string latest = checkpoints.Latest() ?? throw new InvalidOperationException(
                $"--resume: no checkpoint in {checkpoints.Folder}. Start the run without --resume.");
            start = trainer.Restore(latest);
            directory.TruncateMetricsFrom(start);
            sink?.OnResumed(start);
            firstLoss = directory.ReadSummary()?["first_loss"]?.GetValue<double>();
        }
        long total = run.TotalSteps;
        long stop = Math.Min(total, maxSteps ?? total);
        var trainerOptions = run.Spec.Trainer;
        int batch = trainerOptions.BatchSize;

        var losses = new List<double>();
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
        for (; step < stop; step++)
        {
            // Once the wall-clock budget is spent, this step is the last: it is logged and checkpointed like a final step.
            bool budgetSpent = budget is { } limit && wall.Elapsed >= limit;
            bool log = (step + 1) % trainerOptions.LogEvery == 0 || step == stop - 1 || budgetSpent;
            var result = trainer.Step(step, withMetrics: log);
            losses.Add(result.Loss);
            intervalLoss += result.Loss;
            double rate = (step + 1 - start) * batch / Math.Max(1e-9, wall.Elapsed.TotalSeconds);
            if (log)
            {
                long n = step + 1 - intervalStart;
                var row = new Dictionary<string, object>
                {
                    ["step"] = step,
                    ["loss"] = intervalLoss / n,
                    ["lr"] = result.LearningRate,
                    ["wd"] = result.WeightDecay,
                    ["images_per_second"] = n * batch / Math.Max(1e-9, interval.Elapsed.TotalSeconds),
                    ["wall_seconds"] = wall.Elapsed.TotalSeconds,
                };
                foreach (var (name, value) in result.Metrics) row[name] = value;
                warning = Trainer.CollapseWarning(result.Metrics);
                directory.AppendMetrics(row);
                sink?.OnMetrics(step, row.Where(kv => kv.Key != "step").ToDictionary(kv => kv.Key, kv => Convert.ToDouble(kv.Value, System.Globalization.CultureInfo.InvariantCulture)));
                intervalStart = step + 1;
                intervalLoss = 0;
                interval.Restart();
            }
            var eta = TimeSpan.FromSeconds((stop - step - 1) * batch / Math.Max(1e-9, rate));
            progress?.Invoke(new TrainingProgress(step + 1, total, result.Loss, result.LearningRate, rate, eta, warning));

            bool byStep = trainerOptions.CheckpointEvery > 0 && (step + 1) % trainerOptions.CheckpointEvery == 0;
            bool byTime = checkpointPeriod is { } every && sinceCheckpoint.Elapsed >= every && step + 1 < stop && !budgetSpent;
            if (byStep || byTime)
            {
                sinceCheckpoint.Restart();
                string saved = trainer.SaveCheckpoint(checkpoints, step + 1); // saved whether or not there is a sink
                sink?.OnCheckpoint(step + 1, saved);
                lastSaved = step + 1;
                WriteSummary(step + 1, losses, firstLoss, wall, start, cancelled: false);
            }
            if (cancel.IsCancellationRequested)
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
        return WriteSummary(step, losses, firstLoss, wall, start, cancelled, budgetReached);
    }

    private TrainingSummary WriteSummary(long steps, List<double> losses, double? firstLoss, Stopwatch wall, long start, bool cancelled, bool budgetReached = false)
    {
        // The first and last losses are means over a short window (up to 10 steps), so one noisy batch can't decide them.
        int window = Math.Clamp(losses.Count / 10, 1, 10);
        double first = firstLoss ?? (losses.Count > 0 ? losses.Take(window).Average() : double.NaN);
        double last = losses.Count > 0 ? losses.TakeLast(window).Average() : double.NaN;
        double seconds = wall.Elapsed.TotalSeconds;
        var summary = new TrainingSummary(steps, run.TotalSteps, first, last,
            (steps - start) * run.Spec.Trainer.BatchSize / Math.Max(1e-9, seconds), seconds, start, cancelled) { BudgetReached = budgetReached };
        directory.WriteJson(directory.SummaryFile, summary);
        return summary;
    }
}

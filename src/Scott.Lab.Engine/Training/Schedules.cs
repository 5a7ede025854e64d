using Scott.Lab.Engine.Config;

namespace Scott.Lab.Engine.Training;

/// <summary>
/// Per-step learning rate and weight decay (reference): linear warm-up from start_lr to lr, flat for
/// flat_fraction of the remaining steps, then a cosine down to final_lr, reached exactly at the last step.
/// Weight decay goes linearly from weight_decay[0] at step 0 to weight_decay[1] at the last step.
/// </summary>
public sealed class Schedules
{
    private readonly OptimizerOptions _options;

    public Schedules(OptimizerOptions options, long totalSteps, long stepsPerEpoch)
    {
        if (totalSteps < 1) throw new ArgumentOutOfRangeException(nameof(totalSteps), "A run needs at least one step.");
        _options = options;
        TotalSteps = totalSteps;
        WarmupSteps = Math.Min(totalSteps - 1, (long)Math.Round(options.WarmupEpochs * stepsPerEpoch));
        // The flat phase never eats the last step, so the run always ends exactly at final_lr.
        FlatSteps = options.Schedule == "warmup-flat-cosine"
            ? Math.Min((long)Math.Round(options.FlatFraction * (totalSteps - WarmupSteps)), Math.Max(0, totalSteps - 1 - WarmupSteps))
            : 0;
    }

    public long TotalSteps { get; }
    public long WarmupSteps { get; }
    public long FlatSteps { get; }

    /// <summary>First step of the cosine phase.</summary>
    public long DecayStart => WarmupSteps + FlatSteps;

    public double LearningRate(long step)
    {
        step = Math.Clamp(step, 0, TotalSteps - 1);
        if (_options.Schedule == "constant") return _options.Lr;
        if (step < WarmupSteps) return _options.StartLr + (_options.Lr - _options.StartLr) * step / WarmupSteps;
        if (step < DecayStart) return _options.Lr;
        long decaySteps = TotalSteps - 1 - DecayStart;
        if (decaySteps <= 0) return _options.FinalLr;
        double progress = (step - DecayStart) / (double)decaySteps;
        return _options.FinalLr + 0.5 * (_options.Lr - _options.FinalLr) * (1 + Math.Cos(Math.PI * progress));
    }

    public double WeightDecay(long step)
    {
        double start = _options.WeightDecay[0], end = _options.WeightDecay[1];
        if (TotalSteps <= 1) return end;
        return start + (end - start) * Math.Clamp(step, 0, TotalSteps - 1) / (TotalSteps - 1);
    }
}

namespace Scott.Lab.Objectives.Common;

/// <summary>Momentum schedules of EMA teachers (the update itself is <see cref="Abstractions.Models.ModuleEma"/>).</summary>
public static class EmaSchedule
{
    /// <summary>
    /// BYOL's cosine schedule: m = 1 − (1 − start)·(cos(π·step/total) + 1)/2, from <paramref name="start"/> at step 0
    /// to 1 at the last step; with an explicit <paramref name="end"/> it ends there instead.
    /// </summary>
    public static double Cosine(double start, double end, long step, long totalSteps)
    {
        if (totalSteps <= 1) return end;
        double progress = Math.Clamp(step / (double)(totalSteps - 1), 0, 1);
        return end - (end - start) * (Math.Cos(Math.PI * progress) + 1) / 2;
    }
}

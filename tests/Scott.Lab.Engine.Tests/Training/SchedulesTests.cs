using Scott.Lab.Engine.Config;
using Scott.Lab.Engine.Training;

namespace Scott.Lab.Engine.Tests.Training;

public class SchedulesTests
{
    private const double StartLr = 1e-6, Lr = 5e-4, FinalLr = 1e-5;

    private static OptimizerOptions Options(string schedule = "warmup-flat-cosine", double warmupEpochs = 5) => new()
    {
        Lr = Lr, StartLr = StartLr, FinalLr = FinalLr, WarmupEpochs = warmupEpochs, FlatFraction = 0.72,
        WeightDecay = [0.04, 0.4], Schedule = schedule,
    };

    // 1000 steps, 10 per epoch, 5 warm-up epochs: 50 warm-up steps; flat 0.72 of the other 950 = 684 steps,
    // so the flat phase is steps 50..733 and the cosine runs over steps 734..999.
    private static Schedules Reference(string schedule = "warmup-flat-cosine") => new(Options(schedule), 1000, 10);

    [Fact]
    public void Phase_lengths()
    {
        var s = Reference();
        Assert.Equal(1000, s.TotalSteps);
        Assert.Equal(50, s.WarmupSteps);
        Assert.Equal(684, s.FlatSteps);
        Assert.Equal(734, s.DecayStart);
    }

    [Fact]
    public void Warmup_is_linear_from_start_lr_to_lr()
    {
        var s = Reference();
        Assert.Equal(StartLr, s.LearningRate(0), 15);
        Assert.Equal(StartLr + (Lr - StartLr) * 25 / 50, s.LearningRate(25), 15);
        Assert.Equal(StartLr + (Lr - StartLr) * 49 / 50, s.LearningRate(49), 15);
        Assert.Equal(Lr, s.LearningRate(50), 15);
        for (long step = 1; step <= 50; step++) Assert.True(s.LearningRate(step) > s.LearningRate(step - 1));
    }

    [Fact]
    public void Flat_phase_holds_lr_and_the_cosine_starts_at_lr()
    {
        var s = Reference();
        for (long step = 50; step <= 733; step++) Assert.Equal(Lr, s.LearningRate(step));
        Assert.Equal(Lr, s.LearningRate(734), 12);
        Assert.True(s.LearningRate(735) < Lr);
        Assert.True(Lr - s.LearningRate(735) < 1e-7, "the cosine starts flat");
    }

    [Fact]
    public void Cosine_decreases_monotonically_to_exactly_final_lr_at_the_last_step()
    {
        var s = Reference();
        for (long step = 735; step <= 999; step++) Assert.True(s.LearningRate(step) < s.LearningRate(step - 1), $"step {step}");
        Assert.Equal(FinalLr, s.LearningRate(999), 15);
        // Midpoint of the cosine (734 + 265/2 is not a step; check the formula at step 800 instead).
        double progress = (800 - 734) / 265.0;
        Assert.Equal(FinalLr + 0.5 * (Lr - FinalLr) * (1 + Math.Cos(Math.PI * progress)), s.LearningRate(800), 15);
        // Steps past the end are clamped.
        Assert.Equal(FinalLr, s.LearningRate(5000), 15);
    }

    [Fact]
    public void Weight_decay_is_linear_from_start_to_end()
    {
        var s = Reference();
        Assert.Equal(0.04, s.WeightDecay(0), 15);
        Assert.Equal(0.4, s.WeightDecay(999), 15);
        Assert.Equal(0.04 + 0.36 * 300 / 999, s.WeightDecay(300), 15);
        // Linear: the average of two steps symmetric around the middle is the midpoint value.
        Assert.Equal(0.22, (s.WeightDecay(499) + s.WeightDecay(500)) / 2, 12);
        var odd = new Schedules(Options(), 1001, 10);
        Assert.Equal(0.22, odd.WeightDecay(500), 12);
    }

    [Fact]
    public void Constant_is_lr_everywhere()
    {
        var s = Reference("constant");
        foreach (long step in new long[] { 0, 1, 49, 50, 500, 998, 999 }) Assert.Equal(Lr, s.LearningRate(step));
        Assert.Equal(0.04, s.WeightDecay(0), 15);
    }

    [Fact]
    public void Warmup_cosine_has_no_flat_phase()
    {
        var s = Reference("warmup-cosine");
        Assert.Equal(0, s.FlatSteps);
        Assert.Equal(50, s.DecayStart);
        Assert.Equal(StartLr, s.LearningRate(0), 15);
        Assert.Equal(Lr, s.LearningRate(50), 15);
        Assert.True(s.LearningRate(51) < Lr);
        for (long step = 51; step <= 999; step++) Assert.True(s.LearningRate(step) < s.LearningRate(step - 1), $"step {step}");
        Assert.Equal(FinalLr, s.LearningRate(999), 15);
        double progress = (500 - 50) / 949.0;
        Assert.Equal(FinalLr + 0.5 * (Lr - FinalLr) * (1 + Math.Cos(Math.PI * progress)), s.LearningRate(500), 15);
    }

    [Fact]
    public void Warmup_longer_than_the_run_is_clamped_to_leave_a_last_step_at_final_lr()
    {
        var s = new Schedules(Options("warmup-cosine", warmupEpochs: 40), 30, 10);
        Assert.Equal(29, s.WarmupSteps);
        Assert.Equal(StartLr, s.LearningRate(0), 15);
        for (long step = 1; step < 29; step++) Assert.True(s.LearningRate(step) > s.LearningRate(step - 1));
        Assert.Equal(FinalLr, s.LearningRate(29), 15);
    }

    [Fact]
    public void Warmup_cosine_ends_at_final_lr_for_every_run_length() => AssertLastStepIsFinalLr("warmup-cosine");

    [Fact]
    public void Warmup_flat_cosine_ends_at_final_lr_for_every_run_length() => AssertLastStepIsFinalLr("warmup-flat-cosine");

    private static void AssertLastStepIsFinalLr(string shape)
    {
        foreach (double warmupEpochs in new[] { 0.0, 0.5, 5, 40 })
            for (long total = 2; total <= 60; total++)
            {
                var s = new Schedules(Options(shape, warmupEpochs), total, 10);
                Assert.True(Math.Abs(FinalLr - s.LearningRate(total - 1)) < 1e-15,
                    $"{shape}, {total} steps, warm-up {warmupEpochs} epochs: last lr {s.LearningRate(total - 1)}");
            }
    }

    [Fact]
    public void A_run_needs_a_step()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Schedules(Options(), 0, 10));
    }
}

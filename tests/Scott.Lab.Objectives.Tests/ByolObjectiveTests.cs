using Scott.Lab.Abstractions.Objectives;
using Scott.Lab.Objectives.Byol;
using Scott.Lab.Objectives.Common;
using static TorchSharp.torch;

namespace Scott.Lab.Objectives.Tests;

public class ByolObjectiveTests
{
    private static ByolObjective Create(double emaStart = 0.9) =>
        new(new ByolOptions { EmaStart = emaStart, EmaEnd = 1.0, HiddenDim = 16, ProjectionDim = 8 }, TinyModels.Context(totalSteps: 11));

    [Fact]
    public void Cosine_momentum_goes_from_start_to_end()
    {
        Assert.Equal(0.9, EmaSchedule.Cosine(0.9, 1.0, 0, 11), 12);
        Assert.Equal(0.95, EmaSchedule.Cosine(0.9, 1.0, 5, 11), 12); // half-way: cos(π/2) = 0
        Assert.Equal(1.0, EmaSchedule.Cosine(0.9, 1.0, 10, 11), 12);
        Assert.Equal(1 - 0.1 * (Math.Cos(Math.PI * 0.3) + 1) / 2, EmaSchedule.Cosine(0.9, 1.0, 3, 11), 12);
    }

    [Fact]
    public void Target_starts_as_a_frozen_copy_and_follows_by_the_EMA_formula()
    {
        using var objective = Create();
        var online = TinyModels.Parameters(objective, "encoder");
        var target = TinyModels.Parameters(objective, "target_encoder");
        foreach (var (name, value) in online) Assert.True(value.eq(target[name]).all().item<bool>(), name);
        Assert.All(objective.named_parameters().Where(p => p.name.StartsWith("target_")), p => Assert.False(p.parameter.requires_grad, p.name));

        using (no_grad())
            foreach (var (name, parameter) in objective.named_parameters())
                if (name.StartsWith("encoder.") || name.StartsWith("projector.")) parameter.add_(randn_like(parameter) * 0.1);
        var student = TinyModels.Parameters(objective, "encoder").Concat(TinyModels.Parameters(objective, "projector").Select(kv => KeyValuePair.Create("p." + kv.Key, kv.Value))).ToDictionary();
        var before = TinyModels.Parameters(objective, "target_encoder").Concat(TinyModels.Parameters(objective, "target_projector").Select(kv => KeyValuePair.Create("p." + kv.Key, kv.Value))).ToDictionary();

        var step = new StepInfo(3, 11);
        double m = objective.Momentum(step);
        Assert.Equal(EmaSchedule.Cosine(0.9, 1.0, 3, 11), m, 12);
        objective.AfterOptimizerStep(step);

        var after = TinyModels.Parameters(objective, "target_encoder").Concat(TinyModels.Parameters(objective, "target_projector").Select(kv => KeyValuePair.Create("p." + kv.Key, kv.Value))).ToDictionary();
        Assert.Equal(before.Keys.Order(), student.Keys.Order());
        foreach (var (name, value) in after)
            Assert.True(TinyModels.MaxAbs(value - (m * before[name] + (1 - m) * student[name])) < 1e-6, name); // teacher = m·teacher + (1 − m)·student
    }

    [Fact]
    public void Loss_is_symmetric_regression_and_only_the_online_branch_gets_gradients()
    {
        // 2 − 2·cos: 0 for parallel vectors, 2 for orthogonal, 4 for opposite.
        var p = tensor(new float[] { 1, 0, 0, 1, 1, 1 }).view(3, 2);
        var z = tensor(new float[] { 2, 0, 1, 0, -1, -1 }).view(3, 2);
        Assert.Equal((0 + 2 + 4) / 3.0, ByolObjective.RegressionLoss(p, z).item<float>(), 5);

        using var objective = Create();
        objective.train();
        var output = objective.Forward(TinyModels.TwoViews(3), new StepInfo(0, 11));
        output.Loss.backward();
        // The encoder's mask token is unused without a mask.
        foreach (var (name, parameter) in objective.named_parameters())
            if (name.StartsWith("target_")) Assert.True(parameter.grad is null, name);
            else if (name != "encoder.mask_token") Assert.True(parameter.grad is not null && TinyModels.MaxAbs(parameter.grad) > 0, $"{name} has no gradient");
        Assert.InRange(output.Loss.item<float>(), 0, 8);
        Assert.Equal(0.9, output.Metrics["byol/momentum"].item<float>(), 5);
    }

    [Fact]
    public void Ema_end_below_start_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => new ByolObjective(new ByolOptions { EmaStart = 0.99, EmaEnd = 0.9 }, TinyModels.Context()));
        Assert.Contains("ema_start", error.Message);
    }
}

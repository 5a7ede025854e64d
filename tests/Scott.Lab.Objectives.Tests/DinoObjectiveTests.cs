using Scott.Lab.Abstractions.Objectives;
using Scott.Lab.Objectives.Common;
using Scott.Lab.Objectives.Dino;
using static TorchSharp.torch;

namespace Scott.Lab.Objectives.Tests;

public class DinoObjectiveTests
{
    private static DinoObjective Create(double centerMomentum = 0.9) =>
        new(new DinoOptions { OutputDim = 16, HiddenDim = 16, BottleneckDim = 8, EmaStart = 0.9, CenterMomentum = centerMomentum }, TinyModels.Context(totalSteps: 11));

    [Fact]
    public void The_centre_updates_as_an_EMA_of_the_teachers_batch_mean()
    {
        var center = tensor(new float[] { 1, 2 }).view(1, 2);
        var teacher = tensor(new float[] { 3, 4, 5, 6 }).view(2, 2); // batch mean (4, 5)
        DinoObjective.UpdateCenter(center, teacher, 0.9);
        Assert.Equal(0.9 * 1 + 0.1 * 4, center[0, 0].item<float>(), 5);
        Assert.Equal(0.9 * 2 + 0.1 * 5, center[0, 1].item<float>(), 5);
    }

    [Fact]
    public void A_training_step_moves_the_centre_and_an_evaluation_step_does_not()
    {
        using var objective = Create(centerMomentum: 0.5);
        Assert.Equal(0.0, objective.Center.abs().sum().item<float>());
        objective.train();
        objective.Forward(TinyModels.TwoViews(1), new StepInfo(0, 11));
        var moved = objective.Center.clone();
        Assert.True(moved.abs().sum().item<float>() > 0, "the centre did not move");
        // The teacher's logits are cosines: half of their mean (m = 0.5, from 0) lies in [-0.5, 0.5].
        Assert.True(moved.abs().max().item<float>() <= 0.5f + 1e-6f);

        objective.eval();
        objective.Forward(TinyModels.TwoViews(2), new StepInfo(1, 11));
        Assert.True(objective.Center.eq(moved).all().item<bool>());
        Assert.Contains(objective.state_dict().Keys, k => k == "center"); // checkpointed, so a resumed run keeps it
    }

    [Fact]
    public void Cross_entropy_and_teacher_targets_by_hand()
    {
        // A one-hot target against a student that is unsure between two prototypes: −log ½.
        var targets = tensor(new float[] { 1, 0 }).view(1, 2);
        Assert.Equal(Math.Log(2), DinoObjective.CrossEntropy(targets, zeros(1, 2), 0.1).item<float>(), 5);
        // A confident student that agrees costs less than one that disagrees.
        var agree = tensor(new float[] { 1, -1 }).view(1, 2);
        Assert.True(DinoObjective.CrossEntropy(targets, agree, 0.1).item<float>() < DinoObjective.CrossEntropy(targets, -agree, 0.1).item<float>());

        // Targets: softmax((t − c)/τ). The centre removes what every image shares; a low τ sharpens.
        var logits = tensor(new float[] { 0.5f, 0.3f }).view(1, 2);
        var centred = DinoObjective.TeacherTargets(logits, tensor(new float[] { 0.2f, 0f }).view(1, 2), 0.1);
        Assert.Equal(0.5f, centred[0, 0].item<float>(), 5); // (0.3, 0.3): uniform
        var sharp = DinoObjective.TeacherTargets(logits, zeros(1, 2), 0.04)[0, 0].item<float>();
        var soft = DinoObjective.TeacherTargets(logits, zeros(1, 2), 0.1)[0, 0].item<float>();
        Assert.Equal(1 / (1 + Math.Exp(-0.2 / 0.04)), sharp, 5);
        Assert.True(sharp > soft);
    }

    [Fact]
    public void Only_the_student_gets_gradients_and_the_teacher_follows_by_EMA()
    {
        using var objective = Create();
        objective.train();
        var output = objective.Forward(TinyModels.TwoViews(3), new StepInfo(0, 11));
        output.Loss.backward();
        foreach (var (name, parameter) in objective.named_parameters())
            if (name.StartsWith("target_")) Assert.True(parameter.grad is null, name);
            else if (name != "encoder.mask_token") Assert.True(parameter.grad is not null && TinyModels.MaxAbs(parameter.grad) > 0, $"{name} has no gradient");
        Assert.InRange(output.Metrics["dino/teacher_entropy"].item<float>(), 0, Math.Log(16) + 1e-4);

        var student = TinyModels.Parameters(objective, "prototypes");
        using (no_grad())
            foreach (var (_, p) in objective.named_parameters().Where(p => p.name.StartsWith("prototypes."))) p.add_(1.0);
        var moved = TinyModels.Parameters(objective, "prototypes");
        var before = TinyModels.Parameters(objective, "target_prototypes");
        Assert.True(before["weight"].eq(student["weight"]).all().item<bool>(), "the teacher starts as a copy");
        var step = new StepInfo(4, 11);
        double m = objective.Momentum(step);
        Assert.Equal(EmaSchedule.Cosine(0.9, 1.0, 4, 11), m, 12);
        objective.AfterOptimizerStep(step);
        var after = TinyModels.Parameters(objective, "target_prototypes");
        Assert.True(TinyModels.MaxAbs(after["weight"] - (m * before["weight"] + (1 - m) * moved["weight"])) < 1e-6);
    }

    [Fact]
    public void Teacher_temperature_warms_up_linearly()
    {
        using var objective = new DinoObjective(new DinoOptions
        {
            OutputDim = 16, HiddenDim = 16, BottleneckDim = 8, WarmupTeacherTemperature = 0.02, TeacherTemperature = 0.06, TeacherTemperatureWarmup = 0.5,
        }, TinyModels.Context(totalSteps: 20));
        Assert.Equal(0.02, objective.TeacherTemperature(new StepInfo(0, 20)), 12);
        Assert.Equal(0.04, objective.TeacherTemperature(new StepInfo(5, 20)), 12);
        Assert.Equal(0.06, objective.TeacherTemperature(new StepInfo(10, 20)), 12);
        Assert.Equal(0.06, objective.TeacherTemperature(new StepInfo(19, 20)), 12);
    }

    [Fact]
    public void A_teacher_as_soft_as_the_student_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => new DinoObjective(new DinoOptions { TeacherTemperature = 0.1, StudentTemperature = 0.1 }, TinyModels.Context()));
        Assert.Contains("student_temperature", error.Message);
    }
}

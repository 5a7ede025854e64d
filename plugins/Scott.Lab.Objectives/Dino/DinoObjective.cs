using Scott.Lab.Abstractions.Models;
using Scott.Lab.Abstractions.Objectives;
using Scott.Lab.Objectives.Common;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Scott.Lab.Objectives.Dino;

/// <summary>
/// DINO with two global views (no multi-crop): student and EMA teacher each map a view through encoder → MLP →
/// L2-normalised bottleneck → prototypes (a weight-normalised linear layer with unit-norm rows). The student's
/// softmax at τ_s is trained to match the teacher's on the other view, centred by an EMA of the teacher's batch
/// mean and sharpened by τ_t &lt; τ_s: centring alone would collapse to uniform, sharpening alone to one prototype.
/// </summary>
public sealed class DinoObjective : SiameseObjective
{
    private readonly Linear prototypes;
    private readonly EncoderModule target_encoder;
    private readonly Sequential target_projector;
    private readonly Linear target_prototypes;
    private readonly Tensor center;
    private readonly DinoOptions _options;

    public DinoObjective(DinoOptions options, ObjectiveContext context)
        : base("Dino", context, new ProjectorShape(OptionsCheck.Validated(options).HiddenDim, options.BottleneckDim, Layers: 3))
    {
        _options = options;
        prototypes = nn.Linear(options.BottleneckDim, options.OutputDim, hasBias: false);
        target_encoder = context.Models.CreateEncoder();
        target_projector = CreateProjector(context.Models.EmbedDim);
        target_prototypes = nn.Linear(options.BottleneckDim, options.OutputDim, hasBias: false);
        RegisterComponents();
        // Part of the checkpoint, so a resumed run keeps its centre (registered after RegisterComponents, by name).
        center = zeros(1, options.OutputDim);
        register_buffer(nameof(center), center);
        ModuleEma.CopyWeights(target_encoder, Encoder);
        ModuleEma.CopyWeights(target_projector, Projector);
        ModuleEma.CopyWeights(target_prototypes, prototypes);
        ModuleEma.Freeze(target_encoder);
        ModuleEma.Freeze(target_projector);
        ModuleEma.Freeze(target_prototypes);
    }

    /// <summary>The centre c subtracted from the teacher's logits (1, K).</summary>
    public Tensor Center => center;

    /// <summary>The teacher forward (both views, no backward) and the prototypes (trained, both views).</summary>
    protected override long ExtraTrainFlopsPerImage =>
        2 * (target_encoder.ForwardFlopsPerImage + ProjectorFlops) + 2 * 4 * 2L * _options.BottleneckDim * _options.OutputDim;

    /// <summary>The teacher's momentum at <paramref name="step"/>: cosine from ema_start to ema_end.</summary>
    public double Momentum(StepInfo step) => EmaSchedule.Cosine(_options.EmaStart, _options.EmaEnd, step.Step, step.TotalSteps);

    /// <summary>τ_t at <paramref name="step"/>: linear from its warm-up start to teacher_temperature, then constant.</summary>
    public double TeacherTemperature(StepInfo step)
    {
        double warmupSteps = _options.TeacherTemperatureWarmup * step.TotalSteps;
        if (warmupSteps < 1 || step.Step >= warmupSteps) return _options.TeacherTemperature;
        return _options.WarmupTeacherTemperature + (_options.TeacherTemperature - _options.WarmupTeacherTemperature) * step.Step / warmupSteps;
    }

    protected override (Tensor Loss, Dictionary<string, Tensor> Metrics) Loss(BranchOutput first, BranchOutput second, TrainingBatch batch, StepInfo step)
    {
        Tensor teacherFirst, teacherSecond;
        using (no_grad())
        {
            teacherFirst = Logits(target_prototypes, Project(target_encoder, target_projector, batch.Views[0]));
            teacherSecond = Logits(target_prototypes, Project(target_encoder, target_projector, batch.Views[1]));
        }
        var studentFirst = Logits(prototypes, first.Projected);
        var studentSecond = Logits(prototypes, second.Projected);

        double tau = TeacherTemperature(step);
        Tensor targetsFirst, targetsSecond;
        using (no_grad())
        {
            targetsFirst = TeacherTargets(teacherFirst, center, tau);
            targetsSecond = TeacherTargets(teacherSecond, center, tau);
        }
        var loss = (CrossEntropy(targetsSecond, studentFirst, _options.StudentTemperature) + CrossEntropy(targetsFirst, studentSecond, _options.StudentTemperature)) / 2;

        var metrics = new Dictionary<string, Tensor>
        {
            // log K for a uniform teacher, 0 for a one-hot one: both ends are collapse.
            ["dino/teacher_entropy"] = Entropy(targetsFirst),
            ["dino/center_norm"] = center.norm(),
            ["dino/teacher_temperature"] = tensor((float)tau),
            ["dino/momentum"] = tensor((float)Momentum(step)),
        };
        // After the targets are made: this step's centre is the previous steps' EMA.
        if (training) UpdateCenter(center, cat([teacherFirst, teacherSecond], 0), _options.CenterMomentum);
        return (loss, metrics);
    }

    /// <summary>Logits over the prototypes: the normalised bottleneck against unit-norm prototype rows (DINO's weight norm with g = 1).</summary>
    private static Tensor Logits(Linear prototypeLayer, Tensor bottleneck) =>
        F.linear(F.normalize(bottleneck, dim: 1), F.normalize(prototypeLayer.weight!, dim: 1));

    /// <summary>The teacher's targets: softmax((t − c) / τ_t).</summary>
    public static Tensor TeacherTargets(Tensor teacherLogits, Tensor center, double temperature) =>
        F.softmax((teacherLogits - center) / temperature, dim: 1);

    /// <summary>H(targets, student) = −Σ p_t · log softmax(s / τ_s), averaged over the batch.</summary>
    public static Tensor CrossEntropy(Tensor targets, Tensor studentLogits, double studentTemperature) =>
        -(targets * F.log_softmax(studentLogits / studentTemperature, dim: 1)).sum(1).mean();

    /// <summary>c ← m·c + (1 − m)·mean over the batch of the teacher's logits, in place.</summary>
    public static void UpdateCenter(Tensor center, Tensor teacherLogits, double momentum)
    {
        using var _ = no_grad();
        center.mul_(momentum).add_(teacherLogits.mean(new long[] { 0 }, keepdim: true), alpha: 1 - momentum);
    }

    private static Tensor Entropy(Tensor p) => -(p * p.clamp_min(1e-12).log()).sum(1).mean();

    public override void AfterOptimizerStep(StepInfo step)
    {
        double momentum = Momentum(step);
        ModuleEma.Update(target_encoder, Encoder, momentum);
        ModuleEma.Update(target_projector, Projector, momentum);
        ModuleEma.Update(target_prototypes, prototypes, momentum);
    }
}

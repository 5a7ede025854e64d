using Scott.Lab.Abstractions.Models;
using Scott.Lab.Abstractions.Objectives;
using Scott.Lab.Objectives.Common;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Scott.Lab.Objectives.Byol;

/// <summary>
/// BYOL: the online branch (encoder → projector → predictor) regresses the target branch's projection of the other
/// view; the target (encoder → projector) is an EMA of the online one with a cosine momentum schedule and gets no
/// gradient. Loss 2 − 2·cos(p, z'), symmetrised over the two views.
/// </summary>
public sealed class ByolObjective : SiameseObjective
{
    private readonly Sequential predictor;
    private readonly EncoderModule target_encoder;
    private readonly Sequential target_projector;
    private readonly ByolOptions _options;

    public ByolObjective(ByolOptions options, ObjectiveContext context)
        : base("Byol", context, new ProjectorShape(OptionsCheck.Validated(options).HiddenDim, options.ProjectionDim))
    {
        _options = options;
        predictor = ProjectionHead.Mlp(options.ProjectionDim, options.HiddenDim, options.ProjectionDim);
        target_encoder = context.Models.CreateEncoder();
        target_projector = CreateProjector(context.Models.EmbedDim);
        RegisterComponents();
        ModuleEma.CopyWeights(target_encoder, Encoder);
        ModuleEma.CopyWeights(target_projector, Projector);
        ModuleEma.Freeze(target_encoder);
        ModuleEma.Freeze(target_projector);
    }

    /// <summary>The target forward (both views, no backward) and the predictor (trained, both views).</summary>
    protected override long ExtraTrainFlopsPerImage =>
        2 * (target_encoder.ForwardFlopsPerImage + ProjectorFlops) + 2 * 3 * ProjectionHead.Flops(_options.ProjectionDim, _options.HiddenDim, _options.ProjectionDim);

    /// <summary>The target's momentum at <paramref name="step"/>: cosine from ema_start to ema_end.</summary>
    public double Momentum(StepInfo step) => EmaSchedule.Cosine(_options.EmaStart, _options.EmaEnd, step.Step, step.TotalSteps);

    protected override (Tensor Loss, Dictionary<string, Tensor> Metrics) Loss(BranchOutput first, BranchOutput second, TrainingBatch batch, StepInfo step)
    {
        Tensor targetFirst, targetSecond;
        using (no_grad())
        {
            // BatchNorm in the target uses batch statistics, as BYOL's target network does.
            targetFirst = Project(target_encoder, target_projector, batch.Views[0]);
            targetSecond = Project(target_encoder, target_projector, batch.Views[1]);
        }
        var predictedFirst = predictor.forward(first.Projected);
        var predictedSecond = predictor.forward(second.Projected);
        var loss = RegressionLoss(predictedFirst, targetSecond) + RegressionLoss(predictedSecond, targetFirst);
        var (positive, negative) = Similarity.PositiveNegativeCosine(predictedFirst, targetSecond);
        return (loss, new Dictionary<string, Tensor>
        {
            ["byol/pos_cosine"] = positive,
            ["byol/neg_cosine"] = negative,
            ["byol/momentum"] = tensor((float)Momentum(step)),
        });
    }

    /// <summary>2 − 2·cos(p, z), averaged over the batch (the MSE of the L2-normalised vectors).</summary>
    public static Tensor RegressionLoss(Tensor predicted, Tensor target) =>
        (2 - 2 * F.cosine_similarity(predicted, target.detach(), dim: 1)).mean();

    public override void AfterOptimizerStep(StepInfo step)
    {
        double momentum = Momentum(step);
        ModuleEma.Update(target_encoder, Encoder, momentum);
        ModuleEma.Update(target_projector, Projector, momentum);
    }
}

using Scott.Lab.Abstractions.Models;
using Scott.Lab.Abstractions.Objectives;
using Scott.Lab.Objectives.Common;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Scott.Lab.Objectives.MimJepa;

/// <summary>
/// MIM-JEPA. The target encoder (EMA of the context encoder, no gradient) sees the full view; the context encoder
/// sees the other view with masked tokens replaced; the predictor regresses LN(target) at the masked tokens.
/// </summary>
public sealed class MimJepaObjective : MaskedObjective
{
    private readonly EncoderModule context_encoder, target_encoder;
    private readonly TransformerModule predictor;
    private readonly Sequential predictor_head;
    private readonly MimJepaOptions _options;
    private readonly long[] _normShape;

    public MimJepaObjective(MimJepaOptions options, ObjectiveContext context) : base("MimJepa", context, options.MaskRatio, options.MaskMode)
    {
        _options = options;
        var models = context.Models;
        context_encoder = models.CreateEncoder();
        target_encoder = models.CreateEncoder();
        ModuleEma.CopyWeights(target_encoder, context_encoder);
        ModuleEma.Freeze(target_encoder);
        // Re-adds the positions, then the reference's dropout (options.PredictorDropout; null: model.dropout).
        predictor = models.CreateTransformer(options.PredictorDepth, options.PredictorDropout);
        // Head: SiLU → LayerNorm(D, affine) → Linear(D, D).
        var head = nn.Linear(models.EmbedDim, models.EmbedDim);
        using (no_grad())
        {
            WeightInit.TruncatedNormal_(head.weight!, 0.02);
            nn.init.zeros_(head.bias!);
        }
        predictor_head = nn.Sequential(nn.SiLU(), nn.LayerNorm(models.EmbedDim), head);
        _normShape = new long[] { models.EmbedDim };
        RegisterComponents();
    }

    public override EncoderModule Encoder => context_encoder;

    /// <summary>View 0 is the context view, view 1 the target view; both share crop and flip.</summary>
    public override ViewRequest Views => new(2, SharedGeometry: true);

    public override long TrainFlopsPerImage
    {
        get
        {
            long d = context_encoder.EmbedDim, n = context_encoder.NumTokens;
            long trained = context_encoder.ForwardFlopsPerImage + predictor.ForwardFlopsPerImage + 2 * n * d * d;
            return target_encoder.ForwardFlopsPerImage + 3 * trained;
        }
    }

    public override ObjectiveOutput Forward(TrainingBatch batch, StepInfo step)
    {
        var contextView = batch.Views[0];
        var targetView = batch.Views[1];
        long batchSize = contextView.shape[0];

        Tensor targets, pooledTargets;
        using (no_grad())
        {
            target_encoder.eval();
            var targetTokens = target_encoder.forward(targetView, null);
            targets = F.layer_norm(targetTokens, _normShape);
            pooledTargets = targetTokens.mean(new long[] { 1 }); // for the host's online probe and collapse monitors
        }

        var keep = KeepMask(step, batchSize, contextView.device);
        var predicted = Precision.Sequential(predictor_head, predictor.forward(context_encoder.forward(contextView, keep)));
        var loss = MaskedSmoothL1(predicted, targets, keep, _options.Beta);
        var metrics = MaskMetrics(keep);
        metrics["target/std"] = targets.std(0).mean();
        return new ObjectiveOutput(loss, metrics) { Features = pooledTargets };
    }

    public override void AfterOptimizerStep(StepInfo step)
    {
        double momentum = ModuleEma.LinearMomentum(_options.EmaStart, _options.EmaEnd, step.Step, step.TotalSteps);
        ModuleEma.Update(target_encoder, context_encoder, momentum);
    }

    /// <summary>
    /// Smooth-L1 (beta) averaged over D, summed over masked tokens, divided by the number of masked tokens of
    /// each sample, then averaged over the batch. Visible tokens contribute nothing.
    /// </summary>
    public static Tensor MaskedSmoothL1(Tensor predicted, Tensor targets, Tensor keepMask, double beta)
    {
        var perToken = F.smooth_l1_loss(predicted, targets, reduction: nn.Reduction.None, beta: beta).mean(new long[] { -1 }); // (B, N)
        var masked = 1 - keepMask.to(perToken.dtype);
        var perSample = (perToken * masked).sum(-1) / masked.sum(-1).clamp_min(1);
        return perSample.mean();
    }
}

using Scott.Lab.Abstractions.Objectives;
using Scott.Lab.Objectives.Common;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Scott.Lab.Objectives.SimClr;

/// <summary>
/// SimCLR: the two views of an image are positives, the other 2B − 2 views of the batch its negatives; NT-Xent
/// (InfoNCE over cosine similarities divided by a temperature) on the projections.
/// </summary>
public sealed class SimClrObjective : SiameseObjective
{
    private readonly double _temperature;

    public SimClrObjective(SimClrOptions options, ObjectiveContext context)
        : base("SimClr", context, new ProjectorShape(OptionsCheck.Validated(options).ProjectorHiddenDim, options.ProjectionDim))
    {
        _temperature = options.Temperature;
    }

    protected override (Tensor Loss, Dictionary<string, Tensor> Metrics) Loss(BranchOutput first, BranchOutput second, TrainingBatch batch, StepInfo step)
    {
        var loss = NtXent(first.Projected, second.Projected, _temperature);
        var (positive, negative) = Similarity.PositiveNegativeCosine(first.Projected, second.Projected);
        return (loss, new Dictionary<string, Tensor> { ["simclr/pos_cosine"] = positive, ["simclr/neg_cosine"] = negative });
    }

    /// <summary>
    /// NT-Xent over the 2B projections: for each one, −log(exp(s⁺/τ) / Σ_{k≠self} exp(s_k/τ)) with s the cosine
    /// similarity and s⁺ its pair in the other view; averaged over all 2B anchors.
    /// </summary>
    public static Tensor NtXent(Tensor z1, Tensor z2, double temperature)
    {
        if (z1.shape[0] < 2) throw new ArgumentException("NT-Xent needs at least 2 images per batch (the others are the negatives).");
        long n = z1.shape[0];
        var z = F.normalize(cat(new[] { z1, z2 }, 0), dim: 1);
        var logits = z.matmul(z.t()) / temperature;
        // An anchor is not its own negative: its self-similarity is removed from the softmax.
        logits = logits.masked_fill(eye(2 * n, dtype: ScalarType.Bool, device: z.device), double.NegativeInfinity);
        var positives = cat(new[] { arange(n, 2 * n, device: z.device), arange(0, n, device: z.device) });
        return F.cross_entropy(logits, positives);
    }
}

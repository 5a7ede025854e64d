using Scott.Lab.Abstractions.Models;
using Scott.Lab.Abstractions.Objectives;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Scott.Lab.SamplePlugin;

/// <summary>
/// Barlow Twins: two views through one encoder and a projector; the cross-correlation matrix C of the two batches of
/// embeddings (each dimension standardised over the batch) should be the identity:
/// loss = Σᵢ (1 − Cᵢᵢ)² + λ Σᵢ≠ⱼ Cᵢⱼ².
/// </summary>
public sealed class BarlowTwinsObjective : ObjectiveModule
{
    // Every module the objective trains or keeps is a field registered by RegisterComponents: the field names are
    // the checkpoint's keys, and the trainer optimises every parameter that requires grad.
    private readonly EncoderModule encoder;
    private readonly Sequential projector;
    private readonly double _lambda;

    public BarlowTwinsObjective(BarlowTwinsOptions options, ObjectiveContext context) : base("BarlowTwins")
    {
        _lambda = options.RedundancyWeight;
        encoder = context.Models.CreateEncoder(); // the run's tokenizer + ViT, built by the host
        int d = context.Models.EmbedDim, p = options.ProjectorDim;
        projector = nn.Sequential(nn.Linear(d, p), nn.BatchNorm1d(p), nn.ReLU(), nn.Linear(p, p));
        RegisterComponents();
    }

    /// <summary>What eval probes after training.</summary>
    public override EncoderModule Encoder => encoder;

    /// <summary>Two views with their own crop and flip (the host augments and normalises them).</summary>
    public override ViewRequest Views => new(2, SharedGeometry: false);

    public override long TrainFlopsPerImage => 2 * 3 * encoder.ForwardFlopsPerImage;

    /// <summary>Called by the trainer inside its dispose scope: no scope is needed here.</summary>
    public override ObjectiveOutput Forward(TrainingBatch batch, StepInfo step)
    {
        var pooled = encoder.forward(batch.Views[0], null).mean(new long[] { 1 }); // (B, D): mean of the tokens
        var z1 = projector.forward(pooled);
        var z2 = projector.forward(encoder.forward(batch.Views[1], null).mean(new long[] { 1 }));
        var loss = Loss(z1, z2, _lambda);
        var metrics = new Dictionary<string, Tensor> { ["barlow/loss"] = loss.detach() };
        // Features: one detached embedding per image, for the host's online probe and collapse monitors.
        return new ObjectiveOutput(loss, metrics) { Features = pooled.detach() };
    }

    public static Tensor Loss(Tensor z1, Tensor z2, double lambda)
    {
        long n = z1.shape[0];
        Tensor Standardise(Tensor z) => (z - z.mean(new long[] { 0 })) / (z.std(0) + 1e-5);
        var c = Standardise(z1).t().matmul(Standardise(z2)) / n; // (P, P)
        var onDiagonal = (1 - c.diagonal()).pow(2).sum();
        var offDiagonal = c.pow(2).sum() - c.diagonal().pow(2).sum();
        return onDiagonal + lambda * offDiagonal;
    }
}

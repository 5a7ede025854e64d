using Scott.Lab.Abstractions.Models;
using Scott.Lab.Abstractions.Objectives;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Scott.Lab.Objectives.Common;

/// <summary>One view through the online branch: the mean-pooled encoder tokens and their projection.</summary>
public readonly record struct BranchOutput(Tensor Pooled, Tensor Projected);

/// <summary>The width of a projector MLP (input: the encoder width D).</summary>
public readonly record struct ProjectorShape(int HiddenDim, int OutputDim, int Layers = 2, bool BatchNormOutput = false);

/// <summary>
/// The plumbing of the two-view methods (solo-learn style): two independently augmented views (own crop, flip and
/// colour), one encoder, mean-pooled tokens, a projector MLP, and the pooled embedding of the first view as the
/// host's probe features. A method adds only its loss (and its extra modules, e.g. BYOL's predictor and EMA target).
/// </summary>
public abstract class SiameseObjective : ObjectiveModule
{
    // Registered by hand (register_module), not by RegisterComponents: that only sees the fields of the subclass,
    // which calls it for its own modules.
    private readonly EncoderModule _encoder;
    private readonly Sequential _projector;

    protected SiameseObjective(string name, ObjectiveContext context, ProjectorShape projector) : base(name)
    {
        Shape = projector;
        _encoder = context.Models.CreateEncoder();
        _projector = CreateProjector(context.Models.EmbedDim);
        register_module("encoder", _encoder);
        register_module("projector", _projector);
    }

    public override EncoderModule Encoder => _encoder;

    /// <summary>Two views, each with its own crop and flip: the positives differ in geometry as well as colour.</summary>
    public override ViewRequest Views => new(2, SharedGeometry: false);

    protected ProjectorShape Shape { get; }

    /// <summary>The online projector (the EMA-teacher methods copy and follow it).</summary>
    protected Sequential Projector => _projector;

    /// <summary>A new projector of this objective's shape (BYOL builds its EMA target's with it).</summary>
    protected Sequential CreateProjector(int inputDim) =>
        ProjectionHead.Mlp(inputDim, Shape.HiddenDim, Shape.OutputDim, Shape.Layers, Shape.BatchNormOutput);

    /// <summary>FLOPs of the projector's forward pass per image.</summary>
    protected long ProjectorFlops => ProjectionHead.Flops(_encoder.EmbedDim, Shape.HiddenDim, Shape.OutputDim, Shape.Layers);

    /// <summary>Both views through encoder and projector, trained: 3× (forward + backward) each.</summary>
    public override long TrainFlopsPerImage => 2 * 3 * (_encoder.ForwardFlopsPerImage + ProjectorFlops) + ExtraTrainFlopsPerImage;

    /// <summary>What a method adds to <see cref="TrainFlopsPerImage"/> (heads, EMA targets).</summary>
    protected virtual long ExtraTrainFlopsPerImage => 0;

    public sealed override ObjectiveOutput Forward(TrainingBatch batch, StepInfo step)
    {
        if (batch.Views.Count != 2)
            throw new InvalidOperationException($"{GetType().Name} needs 2 views per image, got {batch.Views.Count}.");
        var first = Embed(batch.Views[0]);
        var second = Embed(batch.Views[1]);
        var (loss, metrics) = Loss(first, second, batch, step);
        return new ObjectiveOutput(loss, metrics) { Features = first.Pooled.detach() };
    }

    /// <summary>The method's loss on the two views' branches, with its metrics (0-d tensors).</summary>
    protected abstract (Tensor Loss, Dictionary<string, Tensor> Metrics) Loss(BranchOutput first, BranchOutput second, TrainingBatch batch, StepInfo step);

    private BranchOutput Embed(Tensor view)
    {
        var pooled = Pooling.Mean(_encoder.forward(view, null));
        return new BranchOutput(pooled, _projector.forward(pooled));
    }

    /// <summary>A view through another encoder and projector of this shape (an EMA teacher): mean-pooled tokens, projected.</summary>
    protected static Tensor Project(EncoderModule encoder, Sequential projector, Tensor view) =>
        projector.forward(Pooling.Mean(encoder.forward(view, null)));
}

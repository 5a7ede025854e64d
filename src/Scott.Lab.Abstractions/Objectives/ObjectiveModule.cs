using Scott.Lab.Abstractions.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Scott.Lab.Abstractions.Objectives;

/// <summary>How many augmented views an objective wants per image, and whether they share crop and flip.</summary>
/// <param name="Count">Number of views (1 or more).</param>
/// <param name="SharedGeometry">True: one crop/flip for all views, colour augmentations drawn per view (MIM-JEPA).</param>
public sealed record ViewRequest(int Count, bool SharedGeometry);

/// <summary>One batch as the objective receives it: views (B, C, H, W), normalised, and labels (B); a label of -1
/// marks an image whose label must not be used (for example a test image in an unlabelled pre-training set).</summary>
public sealed record TrainingBatch(IReadOnlyList<Tensor> Views, Tensor? Labels);

/// <summary>The loss to minimise plus scalar metrics (0-d tensors) to log, e.g. "loss/masked".</summary>
public sealed record ObjectiveOutput(Tensor Loss, IReadOnlyDictionary<string, Tensor> Metrics)
{
    /// <summary>
    /// One embedding per image (B, D), detached, on which the host trains its online linear probe and computes
    /// its collapse monitors (MIM-JEPA: the target encoder's tokens, mean-pooled). Null: no probe, no monitors.
    /// </summary>
    public Tensor? Features { get; init; }
}

/// <summary>Where training stands: 0-based step and the total number of steps of the run.</summary>
public readonly record struct StepInfo(long Step, long TotalSteps);

/// <summary>What the host hands an objective when the run is assembled.</summary>
/// <param name="Models">Builds encoders and transformers of the run's architecture.</param>
/// <param name="TotalSteps">Steps of the whole run, for schedules the objective owns (e.g. EMA momentum).</param>
/// <param name="NumClasses">Classes of the dataset (0 when unknown); for supervised objectives and probes.</param>
/// <param name="Seed">Run seed. Derive per-step randomness with <see cref="StepSeed.For"/> so that a resumed run
/// draws exactly what an uninterrupted one would.</param>
/// <param name="ImageSize">Side in pixels of the square views (0 when unknown); for pixel-reconstruction heads.</param>
/// <param name="InChannels">Channels of the views (0 when unknown); for pixel-reconstruction heads.</param>
public sealed record ObjectiveContext(IModelFactory Models, long TotalSteps, int NumClasses, int Seed, int ImageSize = 0, int InChannels = 0);

/// <summary>
/// A training objective. It registers every module it trains or keeps (the encoder, predictor, EMA target,
/// heads) as its own submodules, so that its state_dict is the whole checkpoint and the trainer optimises
/// every parameter that requires grad.
/// </summary>
public abstract class ObjectiveModule : nn.Module
{
    protected ObjectiveModule(string name) : base(name) { }

    /// <summary>The encoder whose representation is evaluated (the context encoder for MIM-JEPA).</summary>
    public abstract EncoderModule Encoder { get; }

    public abstract ViewRequest Views { get; }

    /// <summary>One training forward pass. Called inside the trainer's dispose scope.</summary>
    public abstract ObjectiveOutput Forward(TrainingBatch batch, StepInfo step);

    /// <summary>Called after each optimiser step (EMA updates and the like).</summary>
    public virtual void AfterOptimizerStep(StepInfo step) { }

    /// <summary>
    /// FLOPs of one training step per image: forward plus backward (backward counted as 2x forward) for
    /// trained modules, forward only for frozen ones. Used by the benchmark to compute MFU.
    /// </summary>
    public abstract long TrainFlopsPerImage { get; }
}

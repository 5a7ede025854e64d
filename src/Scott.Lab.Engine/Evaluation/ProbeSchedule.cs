using Scott.Lab.Engine.Config;

namespace Scott.Lab.Engine.Evaluation;

/// <summary>
/// Settings of the paper's probe protocol (<c>--protocol paper</c>). The defaults are the reference's: 100 epochs of
/// batch 64; the learning rate warms up linearly from 1e-6 to 5e-4 over 20 epochs, stays flat for 72% of the
/// remaining steps, then follows a cosine down to 1e-5; weight decay goes linearly from 0.04 to 0.4 (biases and 1-D
/// parameters get none). The three heads use 4 attention heads and dropout 0.2. Training views are
/// RandomResizedCrop (bicubic, <see cref="CropScale"/>) with a horizontal flip, drawn afresh every epoch, or, with
/// <see cref="Views"/> = K &gt; 0, K views per image extracted once and cycled (the bounded variant, for CPUs).
/// Validation and test images are resized (short side <see cref="ResizeRatio"/>·S, 256 for 224) and centre-cropped.
/// </summary>
public sealed record PaperProbeOptions
{
    public const string Simple = "simple", MultiHead = "multi", Cross = "cross";
    public static readonly IReadOnlyList<string> AllHeads = [Simple, MultiHead, Cross];

    public int Epochs { get; init; } = 100;
    public int BatchSize { get; init; } = 64;
    public double WarmupEpochs { get; init; } = 20;
    public double StartLr { get; init; } = 1e-6;
    public double PeakLr { get; init; } = 5e-4;
    public double FinalLr { get; init; } = 1e-5;
    public double FlatFraction { get; init; } = 0.72;
    public double[] WeightDecay { get; init; } = [0.04, 0.4];
    /// <summary>0: fresh augmented views every epoch; K &gt; 0: K views per image, extracted once and cycled.</summary>
    public int Views { get; init; }
    public double[] CropScale { get; init; } = [0.2, 1.0];
    public double FlipP { get; init; } = 0.5;
    /// <summary>Short side of the evaluation resize, as a multiple of the image size (256/224).</summary>
    public double ResizeRatio { get; init; } = 256.0 / 224;
    /// <summary>Attention heads of the multi-head and cross-attention probes.</summary>
    public int Heads { get; init; } = 4;
    public double Dropout { get; init; } = 0.2;
    public IReadOnlyList<string> ProbeHeads { get; init; } = AllHeads;

    /// <summary>What the results call the way training views were made.</summary>
    public string Variant => Views > 0 ? $"bounded K={Views}" : "augmented";

    /// <summary>The schedule as the training run's optimizer settings, so that <c>Schedules</c> computes it the same way.</summary>
    public OptimizerOptions Optimizer() => new()
    {
        Lr = PeakLr, StartLr = StartLr, FinalLr = FinalLr, WeightDecay = WeightDecay,
        WarmupEpochs = WarmupEpochs, FlatFraction = FlatFraction, Schedule = "warmup-flat-cosine",
    };

    /// <summary>Every problem with these settings, each naming its flag and what is allowed.</summary>
    public IEnumerable<string> Problems()
    {
        if (Epochs < 1) yield return $"--probe-epochs: {Epochs}; must be at least 1.";
        if (BatchSize < 1) yield return $"--probe-batch-size: {BatchSize}; must be at least 1.";
        if (WarmupEpochs < 0 || WarmupEpochs > Epochs) yield return $"--probe-warmup-epochs: {WarmupEpochs}; must be between 0 and --probe-epochs ({Epochs}).";
        if (!(PeakLr > 0)) yield return $"--probe-lr: {PeakLr}; must be positive.";
        if (StartLr < 0 || FinalLr < 0) yield return "--probe-start-lr/--probe-final-lr: must not be negative.";
        if (FlatFraction is < 0 or > 1) yield return $"--probe-flat-fraction: {FlatFraction}; must be in [0, 1].";
        if (WeightDecay is not { Length: 2 } || WeightDecay.Any(w => w < 0 || double.IsNaN(w)))
            yield return "--probe-weight-decay: must be two non-negative numbers START,END, e.g. 0.04,0.4.";
        if (Views < 0) yield return $"--probe-views: {Views}; must be 0 (fresh views every epoch) or a positive K.";
        if (CropScale is not { Length: 2 } || CropScale[0] <= 0 || CropScale[0] > CropScale[1] || CropScale[1] > 1)
            yield return "--probe-crop-scale: must be MIN,MAX with 0 < MIN <= MAX <= 1, e.g. 0.2,1.";
        if (FlipP is < 0 or > 1) yield return $"--probe-flip: {FlipP}; must be a probability in [0, 1].";
        if (ResizeRatio < 1) yield return $"--probe-resize-ratio: {ResizeRatio}; must be at least 1 (the resize comes before the centre crop).";
        if (Heads < 1) yield return $"--probe-attention-heads: {Heads}; must be at least 1.";
        if (Dropout is < 0 or >= 1) yield return $"--probe-dropout: {Dropout}; must be in [0, 1).";
        if (ProbeHeads.Count == 0 || ProbeHeads.Any(h => !AllHeads.Contains(h)))
            yield return $"--probe-heads: '{string.Join(",", ProbeHeads)}'; must be a comma-separated choice of {string.Join(", ", AllHeads)}.";
    }
}

using Scott.Lab.Abstractions.Masking;
using Scott.Lab.Abstractions.Objectives;
using static TorchSharp.torch;

namespace Scott.Lab.Objectives.Common;

/// <summary>
/// The mask set-up of the masked-image methods (MAE, SimMIM, MIM-JEPA), solo-learn style: keep-masks over the
/// encoder's token grid with the method's ratio and mode, drawn afresh every step from (run seed, step,
/// <see cref="MaskStream"/>) so that a run resumed at step s draws the masks the uninterrupted run drew. A method
/// adds its encoders, heads and loss, and asks for the step's mask with <see cref="KeepMask"/>.
/// </summary>
public abstract class MaskedObjective : ObjectiveModule
{
    /// <summary>
    /// The <see cref="StepSeed"/> stream the masks are drawn from. The host's own draws use streams 1 (torch's
    /// generator: dropout, drop-path), 2 (the augmentations) and 7 (the loader's shuffle); a separate stream keeps
    /// the masks independent of them, so changing the augmentations does not change the masks. Changing this value
    /// changes every masked run's masks.
    /// </summary>
    public const int MaskStream = 3;

    private readonly int _seed;
    private readonly double _maskRatio;
    private readonly MaskMode _maskMode;
    private TokenMaskGenerator? _masks;

    /// <param name="name">The module's name.</param>
    /// <param name="context">The run: its seed seeds the masks.</param>
    /// <param name="maskRatio">Share of tokens masked; exactly ceil((1 − ratio)·N) stay visible.</param>
    /// <param name="maskMode">Blockwise (rectangular visible blocks) or uniform (random tokens).</param>
    protected MaskedObjective(string name, ObjectiveContext context, double maskRatio, MaskMode maskMode) : base(name)
    {
        _seed = context.Seed;
        _maskRatio = maskRatio;
        _maskMode = maskMode;
    }

    /// <summary>The generator over <see cref="ObjectiveModule.Encoder"/>'s grid, made on first use (the method builds its encoder after this constructor).</summary>
    private TokenMaskGenerator Masks => _masks ??= new TokenMaskGenerator(Encoder.GridHeight, Encoder.GridWidth, _maskRatio, _maskMode, _seed);

    /// <summary>Tokens each image keeps visible: ceil((1 − ratio)·N).</summary>
    protected int KeepCount => Masks.KeepCount;

    /// <summary>The keep-masks of this step, (B, N) with 1 = visible: a function of (run seed, step) only.</summary>
    protected Tensor KeepMask(StepInfo step, long batchSize, Device device)
    {
        Masks.Reseed(StepSeed.For(_seed, step.Step, MaskStream));
        return Masks.Next((int)batchSize, device);
    }

    /// <summary>The metrics every masked method logs (<c>mask/visible_fraction</c>); a method adds its own.</summary>
    protected static Dictionary<string, Tensor> MaskMetrics(Tensor keep) => new() { ["mask/visible_fraction"] = keep.mean() };
}

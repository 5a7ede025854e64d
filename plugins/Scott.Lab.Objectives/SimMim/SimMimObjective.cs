using Scott.Lab.Abstractions.Models;
using Scott.Lab.Abstractions.Objectives;
using Scott.Lab.Objectives.Common;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Scott.Lab.Objectives.SimMim;

/// <summary>
/// SimMIM: the encoder gets the keep-mask, as MIM-JEPA's context encoder does (the tokenizer zeroes masked pixels and
/// the encoder puts its learned mask token in their place, so every tokenizer works, SCOTT included); a linear head
/// predicts each token's patch of pixels, and the loss (L1 by default) counts the masked patches only.
/// </summary>
public sealed class SimMimObjective : MaskedObjective
{
    private readonly EncoderModule encoder;
    private readonly Linear pixel_head;
    private readonly SimMimOptions _options;

    public SimMimObjective(SimMimOptions options, ObjectiveContext context) : base("SimMim", context, options.MaskRatio, options.MaskMode)
    {
        _options = OptionsCheck.Validated(options);
        encoder = context.Models.CreateEncoder();
        pixel_head = nn.Linear(encoder.EmbedDim, PixelTargets.ValuesPerPatch(context, encoder.GridHeight, encoder.GridWidth, "simmim"));
        WeightInit.Linear_(pixel_head);
        RegisterComponents();
    }

    public override EncoderModule Encoder => encoder;
    public override ViewRequest Views => new(1, SharedGeometry: false);

    public override long TrainFlopsPerImage => 3 * (encoder.ForwardFlopsPerImage + 2L * encoder.NumTokens * encoder.EmbedDim * pixel_head.weight!.shape[0]);

    public override ObjectiveOutput Forward(TrainingBatch batch, StepInfo step)
    {
        var view = batch.Views[0];
        var keep = KeepMask(step, view.shape[0], view.device);
        var tokens = encoder.forward(view, keep);

        var target = PixelTargets.Patchify(view, encoder.GridHeight, encoder.GridWidth);
        if (_options.NormalizeTargets) target = PixelTargets.NormalizePerPatch(target);
        var loss = PixelTargets.MaskedLoss(pixel_head.forward(tokens), target, keep, absolute: _options.Loss == "l1");
        var metrics = MaskMetrics(keep);
        // The probe sees the mean of the visible tokens (the mask token's positions say little about the image).
        return new ObjectiveOutput(loss, metrics) { Features = Pooling.MeanVisible(tokens, keep).detach() };
    }
}

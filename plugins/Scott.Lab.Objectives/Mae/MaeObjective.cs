using Scott.Lab.Abstractions.Masking;
using Scott.Lab.Abstractions.Models;
using Scott.Lab.Abstractions.Objectives;
using Scott.Lab.Objectives.Common;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Scott.Lab.Objectives.Mae;

/// <summary>
/// MAE: the encoder sees the visible patches only (<see cref="EncoderModule.ForwardVisible"/>); a light decoder gets
/// the encoded visible tokens back in place, a learned mask token elsewhere and the position embedding, and a linear
/// head predicts every patch's pixels. MSE on the masked patches only, against per-patch normalised pixels.
/// </summary>
public sealed class MaeObjective : MaskedObjective
{
    private readonly EncoderModule encoder;
    private readonly Linear decoder_embed;
    private readonly Parameter decoder_mask_token;
    private readonly TransformerModule decoder;
    private readonly LayerNorm decoder_norm;
    private readonly Linear pixel_head;
    private readonly MaeOptions _options;

    public MaeObjective(MaeOptions options, ObjectiveContext context) : base("Mae", context, options.MaskRatio, options.MaskMode)
    {
        _options = OptionsCheck.Validated(options);
        var models = context.Models;
        int width = models.EmbedDim;
        encoder = models.CreateEncoder();
        decoder_embed = nn.Linear(width, width);
        decoder_mask_token = nn.Parameter(zeros(1, 1, width));
        decoder = models.CreateTransformer(options.DecoderDepth, addPositionEmbedding: true);
        decoder_norm = nn.LayerNorm(width);
        pixel_head = nn.Linear(width, PixelTargets.ValuesPerPatch(context, encoder.GridHeight, encoder.GridWidth, "mae"));
        WeightInit.Linear_(decoder_embed);
        WeightInit.Linear_(pixel_head);
        WeightInit.TruncatedNormal_(decoder_mask_token, 0.02);
        RegisterComponents();
    }

    public override EncoderModule Encoder => encoder;
    public override ViewRequest Views => new(1, SharedGeometry: false);

    /// <summary>
    /// The encoder's cost scaled by the visible share (approximate: the tokenizer still runs on the whole image,
    /// attention is quadratic), plus decoder and heads; all trained (3× forward).
    /// </summary>
    public override long TrainFlopsPerImage
    {
        get
        {
            long d = encoder.EmbedDim, n = encoder.NumTokens;
            long visibleEncoder = encoder.ForwardFlopsPerImage * KeepCount / n;
            long headOutputs = pixel_head.weight!.shape[0];
            return 3 * (visibleEncoder + 2 * KeepCount * d * d + decoder.ForwardFlopsPerImage + 2 * n * d * headOutputs);
        }
    }

    public override ObjectiveOutput Forward(TrainingBatch batch, StepInfo step)
    {
        var view = batch.Views[0];
        long batchSize = view.shape[0];
        var keep = KeepMask(step, batchSize, view.device);
        var visible = VisibleTokens.Indices(keep);

        var latent = encoder.ForwardVisible(view, keep); // (B, K, D)
        var embedded = decoder_embed.forward(latent);
        var full = VisibleTokens.Scatter(decoder_mask_token.expand(batchSize, encoder.NumTokens, -1), visible, embedded);
        var decoded = decoder_norm.forward(decoder.forward(full));

        var target = PixelTargets.Patchify(view, encoder.GridHeight, encoder.GridWidth);
        if (_options.NormalizeTargets) target = PixelTargets.NormalizePerPatch(target);
        var predicted = pixel_head.forward(decoded);
        var loss = PixelTargets.MaskedLoss(predicted, target, keep, absolute: false);
        var metrics = MaskMetrics(keep);
        // The probe sees the mean of the visible tokens: what the encoder computed anyway (no extra forward pass).
        return new ObjectiveOutput(loss, metrics) { Features = Pooling.Mean(latent).detach() };
    }
}

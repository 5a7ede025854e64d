using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Scott.Lab.Abstractions.Masking;

namespace Scott.Lab.Objectives.Mae;

public sealed class MaeOptions
{
    [Range(0.05, 0.95), Display(Name = "Mask ratio"), Description("Share of patches masked (dropped from the encoder); MAE uses 0.75.")]
    public double MaskRatio { get; set; } = 0.75;

    [Display(Name = "Mask mode"), Description("uniform: random patches (MAE); blockwise: rectangular visible blocks.")]
    public MaskMode MaskMode { get; set; } = MaskMode.Uniform;

    [Range(1, 16), Display(Name = "Decoder depth"), Description("Transformer blocks of the light decoder (run width, position embedding re-added).")]
    public int DecoderDepth { get; set; } = 1;

    [Display(Name = "Normalised pixels"), Description("Regress each patch normalised by its own mean and std (MAE's norm_pix_loss) instead of the raw pixels.")]
    public bool NormalizeTargets { get; set; } = true;
}

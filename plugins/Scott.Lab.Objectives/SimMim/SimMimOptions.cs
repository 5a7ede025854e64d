using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Scott.Lab.Abstractions.Masking;

namespace Scott.Lab.Objectives.SimMim;

public sealed class SimMimOptions
{
    [Range(0.05, 0.95), Display(Name = "Mask ratio"), Description("Share of tokens masked; the encoder replaces them with its learned mask token.")]
    public double MaskRatio { get; set; } = 0.6;

    [Display(Name = "Mask mode"), Description("uniform: random tokens (SimMIM); blockwise: rectangular visible blocks.")]
    public MaskMode MaskMode { get; set; } = MaskMode.Uniform;

    [Display(Name = "Normalised pixels"), Description("Regress each patch normalised by its own mean and std instead of the (dataset-normalised) pixels.")]
    public bool NormalizeTargets { get; set; }

    [AllowedValues("l1", "l2"), Display(Name = "Loss"), Description("l1 (SimMIM) or l2 on the masked patches' pixels.")]
    public string Loss { get; set; } = "l1";
}

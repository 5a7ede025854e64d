using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Scott.Lab.Abstractions.Masking;

namespace Scott.Lab.Objectives.MimJepa;

public sealed class MimJepaOptions
{
    [Range(0.05, 0.95), Display(Name = "Mask ratio"), Description("Share of tokens masked; exactly ceil((1 - ratio)·N) stay visible.")]
    public double MaskRatio { get; set; } = 0.6;

    [Display(Name = "Mask mode"), Description("blockwise: rectangular visible blocks (reference); uniform: random tokens.")]
    public MaskMode MaskMode { get; set; } = MaskMode.Blockwise;

    [Range(0.0, 1.0), Display(Name = "EMA start"), Description("Target-encoder EMA momentum at the first step.")]
    public double EmaStart { get; set; } = 0.996;

    [Range(0.0, 1.0), Display(Name = "EMA end"), Description("EMA momentum at the last step (linear in between).")]
    public double EmaEnd { get; set; } = 1.0;

    [Range(0.01, 10.0), Display(Name = "Smooth-L1 beta"), Description("Beta of the Smooth-L1 loss.")]
    public double Beta { get; set; } = 1.0;

    [Range(1, 16), Display(Name = "Predictor depth"), Description("Transformer blocks in the predictor.")]
    public int PredictorDepth { get; set; } = 3;

    [Range(0.0, 0.9), Display(Name = "Predictor dropout"),
     Description("Dropout after the predictor re-adds the position embedding, as in the reference; empty: the model's dropout (model.dropout), which is what the reference uses.")]
    public double? PredictorDropout { get; set; }
}

using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Scott.Lab.Engine.Models;

/// <summary>The transformer's shape and regularisation (the <c>model:</c> section of a run config).</summary>
public sealed class ModelOptions : IValidatableObject
{
    [Display(Name = "Image size (px)")]
    [Range(8, 4096), Description("Input image size in pixels (square), after augmentation.")]
    public int ImageSize { get; set; } = 224;

    [Display(Name = "Width (token size)")]
    [Range(8, 4096), Description("Token width D.")]
    public int Width { get; set; } = 384;

    [Display(Name = "Depth (blocks)")]
    [Range(1, 64), Description("Number of transformer blocks in the encoder.")]
    public int Depth { get; set; } = 12;

    [Display(Name = "Attention heads")]
    [Range(1, 64), Description("Attention heads; must divide the width.")]
    public int Heads { get; set; } = 4;

    [Display(Name = "Feed-forward block")]
    [AllowedValues("swiglu", "mlp"), Description("Feed-forward block: SwiGLU (reference) or a GELU MLP with ratio 4.")]
    public string Ffn { get; set; } = "swiglu";

    [Display(Name = "Register tokens")]
    [Range(0, 64), Description("Learnable register tokens, prepended and removed from the output.")]
    public int Registers { get; set; }

    [Display(Name = "Dropout")]
    [Range(0.0, 0.9), Description("Dropout after the position embedding and after each attention projection.")]
    public double Dropout { get; set; } = 0.2;

    [Display(Name = "Attention dropout")]
    [Range(0.0, 0.9), Description("Dropout on attention weights.")]
    public double AttnDropout { get; set; } = 0.1;

    [Display(Name = "Drop path (stochastic depth)")]
    [Range(0.0, 0.9), Description("Stochastic depth rate of the last block (linear from 0).")]
    public double DropPath { get; set; } = 0.1;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Heads > 0 && Width % Heads != 0)
            yield return new ValidationResult($"width {Width} is not divisible by heads {Heads}.", [nameof(Heads)]);
        if (Width % 4 != 0)
            yield return new ValidationResult($"width {Width} must be a multiple of 4 for the 2D sin-cos position embedding.", [nameof(Width)]);
    }

    /// <summary>SwiGLU hidden size: 128·round(8D/3/128), at least 128.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int SwiGluHidden => Math.Max(128, 128 * (int)Math.Round(8.0 * Width / 3 / 128, MidpointRounding.ToEven));
}

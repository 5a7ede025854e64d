using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Scott.Lab.Tokenizers.Scott;

/// <summary>Options of the <c>scott</c> tokenizer. The defaults are the reference setting (224 px → 14×14 tokens).</summary>
public sealed class ScottOptions : IValidatableObject
{
    [Range(1, 3)]
    [Display(Name = "Stages")]
    [Description("Number of (conv stride 2 → ReLU → MaxBlurPool) stages; each divides the resolution by 4, so the grid is ImageSize / 4^Stages.")]
    public int Stages { get; init; } = 2;

    [Range(3, 9)]
    [Display(Name = "Kernel size")]
    [Description("Odd side of the square convolution kernels; padding is KernelSize / 2.")]
    public int KernelSize { get; init; } = 7;

    [Range(8, 512)]
    [Display(Name = "Hidden channels")]
    [Description("Channels between stages; the last stage always outputs the embedding width D.")]
    public int HiddenChannels { get; init; } = 64;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (KernelSize % 2 == 0)
            yield return new ValidationResult($"KernelSize must be odd, got {KernelSize}.", [nameof(KernelSize)]);
    }
}

using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Scott.Lab.Tokenizers.Patch;

/// <summary>Options of the <c>patch</c> tokenizer.</summary>
public sealed class PatchOptions
{
    [Range(2, 32)]
    [Display(Name = "Patch size")]
    [Description("Side in pixels of the square, non-overlapping patches; the grid is ImageSize / PatchSize.")]
    public int PatchSize { get; init; } = 16;
}
